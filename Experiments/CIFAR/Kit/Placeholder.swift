// Placeholder: being built on a branch; replaced at merge.
