# The Debian packages, from CPack's DEB generator (bash scripts/package.sh; docs/install.md):
#   parlab         the program, its man pages and shell completions, the guides, the CPython
#                  scripts to watch; its libraries' packages found by dpkg-shlibdeps (fmt, oneTBB,
#                  Open MPI, libgomp) and mpirun, which the mpi model starts its ranks with
#   libparlab-dev  the static library, the headers and the CMake package config, with the -dev
#                  packages find_package(parlab) looks for
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME parlab)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "parlab developers <parlab@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL parlab dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)

set(CPACK_DEBIAN_PARLAB_PACKAGE_NAME parlab)
set(CPACK_DEBIAN_PARLAB_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PARLAB_PACKAGE_DEPENDS "openmpi-bin")
set(CPACK_DEBIAN_PARLAB_PACKAGE_RECOMMENDS "python3, man-db, bash-completion")
set(CPACK_COMPONENT_PARLAB_DESCRIPTION
    "a laboratory for multitasking, multithreading, multiprocessing, concurrency and parallelism
 parlab runs the same work under ten execution models (threads, processes, pools, an emulated
 interpreter lock, an event loop, OpenMP, oneTBB, Open MPI) and shows with measurements made on
 the machine it runs on how they differ: speedups, timelines, wait reasons and a verdict.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libparlab-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(dev_depends "parlab (= ${PROJECT_VERSION}), libfmt-dev")
if(TBB_FOUND)
  string(APPEND dev_depends ", libtbb-dev")
endif()
if(MPI_CXX_FOUND)
  string(APPEND dev_depends ", libopenmpi-dev")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${dev_depends}")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "parlab's library, headers and CMake package (find_package(parlab))
 Execution models, workloads, timelines and their analysis as a static C++20 library, for
 programs that measure their own tasks the way parlab does.")

include(CPack)
