// Which parlab this is (parlab/build_info.hpp): what CMake knew when it configured the build,
// the commit read at build time (generated/build_commit.cpp), the models the registry holds.

#include <parlab/build_info.hpp>
#include <parlab/executor.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace parlab {
namespace detail {
const char* build_commit() noexcept;  // generated/build_commit.cpp, rewritten when HEAD moves
}  // namespace detail

namespace {

std::vector<std::string> split_commas(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (comma != 0) out.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

build_info this_build() {
  build_info b;
  b.version = PARLAB_VERSION;
  b.commit = detail::build_commit();
  b.build_type = PARLAB_BUILD_TYPE[0] != '\0' ? PARLAB_BUILD_TYPE : "none";
  b.compiler = PARLAB_COMPILER;
  b.sanitizers = split_commas(PARLAB_SANITIZERS);
  for (const auto& info : executors()) {
    (info.available ? b.models : b.models_not_built).push_back(info.name);
  }
  return b;
}

std::string build_text(const build_info& build) {
  std::string text = fmt::format(
      "parlab {}\ncommit: {}\nbuild:  {}, {}, {}\nmodels: {}", build.version, build.commit,
      build.build_type, build.compiler,
      build.sanitizers.empty() ? std::string("no sanitizer")
                               : fmt::format("sanitizers {}", fmt::join(build.sanitizers, ", ")),
      fmt::join(build.models, ", "));
  if (!build.models_not_built.empty()) {
    text += fmt::format("\nnot built here: {}", fmt::join(build.models_not_built, ", "));
  }
  return text;
}

}  // namespace parlab
