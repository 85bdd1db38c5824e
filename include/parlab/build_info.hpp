#pragma once
/// @file Which parlab this is: its version, the commit it was built from, how it was built
/// (build type, compiler, sanitizers) and which execution models are in it. `parlab --version`
/// prints it and every JSON document parlab writes carries it ("build"), so a figure can always
/// be traced to the code that measured it.

#include <string>
#include <vector>

namespace parlab {

/// The build of the library in this program.
struct build_info {
  std::string version;     ///< the project's version, e.g. "0.1.0"
  std::string commit;      ///< git's abbreviated commit, "+dirty" when the tree had changes;
                           ///< "unknown" when built outside a git checkout
  std::string build_type;  ///< CMake's build type: Release, RelWithDebInfo, Debug
  std::string compiler;    ///< e.g. "GNU 12.2.0"
  std::vector<std::string> sanitizers;        ///< address, undefined, thread: empty for none
  std::vector<std::string> models;            ///< the execution models built in
  std::vector<std::string> models_not_built;  ///< those this build left out (and why not)
};

/// This build. Cheap; the same every call.
[[nodiscard]] build_info this_build();

/// What `parlab --version` prints: a first line "parlab VERSION", then one line each for the
/// commit, the build and the models.
[[nodiscard]] std::string build_text(const build_info& build);

}  // namespace parlab
