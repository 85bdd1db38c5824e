"""CPU-bound work in threads (the classic example): under CPython's GIL only one thread runs
Python code at a time, so two threads take turns on one core - concurrent, not parallel.

    parlab watch --timeline -- python3 python/classic_threads_cpu.py [THREADS] [COUNT]
"""
import sys
import threading


def count_down(n):
    """Pure Python arithmetic: holds the GIL while it runs."""
    while n > 0:
        n -= 1


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    workers = [threading.Thread(target=count_down, args=(count,)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"{threads} threads counted down from {count} each")


if __name__ == "__main__":
    main()
