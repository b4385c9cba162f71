"""The benchmark (`make bench`) and the synthetic topic sets it and the tests build from."""
