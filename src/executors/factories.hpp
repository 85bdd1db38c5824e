#pragma once
// Internal: one factory per execution model, each defined in its own file.

#include <parlab/executor.hpp>

#include <memory>

namespace parlab::detail {
std::unique_ptr<executor> make_sequential();
std::unique_ptr<executor> make_threads();
std::unique_ptr<executor> make_thread_pool();
std::unique_ptr<executor> make_processes();
std::unique_ptr<executor> make_process_pool();
std::unique_ptr<executor> make_gil_threads();
std::unique_ptr<executor> make_async();
std::unique_ptr<executor> make_openmp();  // only when built with OpenMP
std::unique_ptr<executor> make_tbb();     // only when built with oneTBB
std::unique_ptr<executor> make_mpi();     // only when built with Open MPI
}  // namespace parlab::detail
