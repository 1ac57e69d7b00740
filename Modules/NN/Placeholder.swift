// Placeholder: replaced by the NN module's first real file.
