// Placeholder: replaced by the Datasets module's first real file.
