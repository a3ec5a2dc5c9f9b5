print("stylebench")
