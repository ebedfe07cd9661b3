// The trivial program `scripts/bench/startup.sh` compares `pond --version` with: start, print, exit.
print("0.1.0")
