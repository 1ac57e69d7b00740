print("snn-bench")
