// The serial HDF5 C API, found through pkg-config (`hdf5`).
//
// HDF5's property-list and type constants are macros that call H5open(), which Swift cannot
// import; these inline functions hand them to Swift.
#include <hdf5.h>

static inline hid_t shim_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t shim_H5S_ALL(void) { return H5S_ALL; }
static inline unsigned shim_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned shim_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned shim_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline hid_t shim_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t shim_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t shim_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t shim_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t shim_H5T_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t shim_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t shim_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t shim_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t shim_H5T_IEEE_F16LE(void) { return H5T_IEEE_F16LE; }
