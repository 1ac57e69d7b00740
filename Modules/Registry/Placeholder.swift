// Placeholder: replaced by the Registry module's first real file.
