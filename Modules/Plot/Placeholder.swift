// Placeholder: replaced by the Plot module's first real file.
