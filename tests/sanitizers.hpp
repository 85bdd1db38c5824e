#pragma once
// Which sanitizer the tested code runs under, for the tests that adjust to it. The asan preset
// compiles the test files themselves without ASan's checks (tests/CMakeLists.txt), so the
// compiler's __SANITIZE_ADDRESS__ is not defined there: PARLAB_TESTS_UNDER_ASAN says it instead.

#if defined(__SANITIZE_ADDRESS__) || defined(PARLAB_TESTS_UNDER_ASAN)
#define PARLAB_UNDER_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define PARLAB_UNDER_TSAN 1
#endif
