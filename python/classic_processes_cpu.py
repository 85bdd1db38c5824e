"""CPU-bound work in processes (the classic example): each process has its own interpreter and
its own GIL, so two processes run at the same instant on two cores - parallel.

    parlab watch --timeline -- python3 python/classic_processes_cpu.py [PROCESSES] [COUNT]
"""
import multiprocessing
import sys


def count_down(n):
    """Pure Python arithmetic, in a process of its own."""
    while n > 0:
        n -= 1


def main():
    processes = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    workers = [multiprocessing.Process(target=count_down, args=(count,)) for _ in range(processes)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"{processes} processes counted down from {count} each")


if __name__ == "__main__":
    main()
