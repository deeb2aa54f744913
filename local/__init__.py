"""The local stack behind `make run` and the HTTP tests: moto for AWS, SAM's API Gateway emulation
for HTTP, and warm worker processes standing in for Lambda containers. Nothing here is deployed."""
