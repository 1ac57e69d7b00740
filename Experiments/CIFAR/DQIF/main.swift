// Placeholder: being built on a branch; replaced at merge.
print("not available yet")
