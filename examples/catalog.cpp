// The catalog: every example, in the order of the classic material, and its registration in
// the library's table of examples that 'parlab example' runs.

#include "example.hpp"

#include <parlab/example_registry.hpp>

#include <mutex>
#include <string>

namespace parlab::examples {

int multitasking(int argc, char** argv);
int multithreading(int argc, char** argv);
int multiprocessing(int argc, char** argv);
int concurrency(int argc, char** argv);
int parallelism(int argc, char** argv);
int concurrency_and_parallelism(int argc, char** argv);
int cpu_bound(int argc, char** argv);
int io_bound(int argc, char** argv);
int race_condition(int argc, char** argv);
int shared_memory_vs_pipe(int argc, char** argv);
int producer_consumer(int argc, char** argv);
int creation_cost(int argc, char** argv);
int fault_isolation(int argc, char** argv);
int distributed_memory(int argc, char** argv);
int lock_contention(int argc, char** argv);
int copy_on_write(int argc, char** argv);
int watch_python(int argc, char** argv);
int custom_task(int argc, char** argv);
int critical_path(int argc, char** argv);
int pipeline_backpressure(int argc, char** argv);
int fork_join(int argc, char** argv);

const std::vector<example>& catalog() {
  static const std::vector<example> all = {
      {"multitasking", "the kernel time-slices one core between four processes", multitasking,
       pictures::drawn},
      {"multithreading", "a UI thread stays responsive while another thread downloads",
       multithreading},
      {"multiprocessing", "a child's memory is its own; MAP_SHARED is shared; copy-on-write",
       multiprocessing},
      {"concurrency", "two tasks interleaved on one core: in flight together, never at once",
       concurrency, pictures::drawn},
      {"parallelism", "two tasks at the same instant on two cores", parallelism, pictures::drawn},
      {"concurrency_and_parallelism", "more threads than cores: parallel and taking turns",
       concurrency_and_parallelism, pictures::drawn},
      {"cpu_bound", "CPU-bound: threads and processes gain, threads under a GIL do not", cpu_bound,
       pictures::drawn},
      {"io_bound", "I/O-bound: threads and an event loop gain even on one core", io_bound,
       pictures::drawn},
      {"race_condition", "an unsynchronised counter loses updates; mutex and atomic fix it",
       race_condition},
      {"shared_memory_vs_pipe", "processes exchange data by pipe or shared mapping, with costs",
       shared_memory_vs_pipe},
      {"producer_consumer", "a bounded queue and back-pressure: two threads, two processes",
       producer_consumer},
      {"creation_cost", "pool reuse vs a new thread vs a new process, measured", creation_cost},
      {"fault_isolation", "a crashing process vs a crashing thread", fault_isolation},
      {"distributed_memory", "MPI ranks share nothing: a write travels only as a message",
       distributed_memory},
      {"lock_contention", "one hot lock stops workers scaling; the same work on 8 locks scales",
       lock_contention, pictures::drawn},
      {"critical_path", "only the longest chain decides when a graph ends: predicted, measured",
       critical_path, pictures::drawn},
      {"pipeline_backpressure", "a bounded queue's tokens against a pipeline's throughput",
       pipeline_backpressure, pictures::drawn},
      {"fork_join", "a fork-join scales until its leaves are as fine as a task's cost", fork_join,
       pictures::drawn},
      {"copy_on_write",
       "forked children share the parent's pages until they write: PSS, USS and page faults",
       copy_on_write},
      {"watch_python",
       "parlab watch on CPython's classic scripts: threads take turns, processes run at once",
       watch_python, pictures::drawn},
      {"custom_task", "measure your own task under every model with the parlab library",
       custom_task},
  };
  return all;
}

const example* find(std::string_view name) {
  for (const auto& e : catalog()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

void register_catalog() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const auto& e : catalog()) {
      register_example({std::string(e.name), std::string(e.idea), e.draws == pictures::drawn,
                        [name = e.name, main = e.main](int argc, char** argv) {
                          return run(name, main, argc, argv);
                        }});
    }
  });
}

}  // namespace parlab::examples
