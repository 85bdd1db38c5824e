"""I/O-bound work in threads (the classic example): a thread waiting for I/O does not use the
CPU and releases the GIL, so threads waiting at the same time finish together - concurrent, with
the CPU almost idle. The "downloads" are waits of a fixed length, as in the classic examples.

    parlab watch --timeline -- python3 python/classic_threads_io.py [THREADS] [SECONDS]
"""
import sys
import threading
import time


def download(seconds):
    """Waits like a slow download would: ten reads of a tenth of the time each."""
    for _ in range(10):
        time.sleep(seconds / 10)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    start = time.perf_counter()
    workers = [threading.Thread(target=download, args=(seconds,)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"{threads} downloads of {seconds} s each took {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
