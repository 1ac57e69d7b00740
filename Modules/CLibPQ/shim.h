// libpq, PostgreSQL's C client library (Debian: libpq-dev), for the registry's PostgreSQL store.
#include <libpq-fe.h>
