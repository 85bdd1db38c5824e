#pragma once
/// @file Everything public in one include.

#include <parlab/advise.hpp>
#include <parlab/classic.hpp>
#include <parlab/clock.hpp>
#include <parlab/clock_alignment.hpp>
#include <parlab/cpython.hpp>
#include <parlab/example_registry.hpp>
#include <parlab/executor.hpp>
#include <parlab/experiment.hpp>
#include <parlab/gil.hpp>
#include <parlab/http.hpp>
#include <parlab/interrupt.hpp>
#include <parlab/kernel_figures.hpp>
#include <parlab/machine.hpp>
#include <parlab/output_file.hpp>
#include <parlab/overhead.hpp>
#include <parlab/report.hpp>
#include <parlab/scaling.hpp>
#include <parlab/sweep.hpp>
#include <parlab/task.hpp>
#include <parlab/thread_pool.hpp>
#include <parlab/timeline.hpp>
#include <parlab/timeline_analysis.hpp>
#include <parlab/verdict.hpp>
#include <parlab/workload.hpp>
