// The scaling-law fitter: published coefficients reproduced, known curves recovered, bad input
// refused in one line.

#include <parlab/scaling.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace parlab {
namespace {

void expect_within(double got, double want, double relative, const char* what) {
  EXPECT_NEAR(got, want, std::abs(want) * relative) << what;
}

// The example of Baron Schwartz's "Practical Scalability Analysis with the Universal Scalability
// Law" as codahale/usl (Go, Apache-2.0) tests it: sigma 0.02671591, kappa 7.690945e-4, lambda
// 995.6486, peak at N = 35 with 12341.745 per second.
const std::vector<scaling_point> kBook = {
    {1, 955.16},    {2, 1878.91},   {3, 2688.01},   {4, 3548.68},   {5, 4315.54},   {6, 5130.43},
    {7, 5931.37},   {8, 6531.08},   {9, 7219.8},    {10, 7867.61},  {11, 8278.71},  {12, 8646.7},
    {13, 9047.84},  {14, 9426.55},  {15, 9645.37},  {16, 9897.24},  {17, 10097.6},  {18, 10240.5},
    {19, 10532.39}, {20, 10798.52}, {21, 11151.43}, {22, 11518.63}, {23, 11806},    {24, 12089.37},
    {25, 12075.41}, {26, 12177.29}, {27, 12211.41}, {28, 12158.93}, {29, 12155.27}, {30, 12118.04},
    {31, 12140.4},  {32, 12074.39}};

// codahale/usl's README example (a load test of an HTTP server): sigma 0.0277299, kappa
// 0.000104343, lambda 89.9878, max throughput 1883.76 at N = 96.
const std::vector<scaling_point> kReadme = {{1, 65},     {18, 996},   {36, 1652}, {72, 1853},
                                            {108, 1829}, {144, 1775}, {216, 1702}};

TEST(UslFit, ReproducesThePublishedCoefficientsOfTheBooksExample) {
  const usl_fit f = fit_usl(kBook);
  expect_within(f.sigma, 0.02671591, 0.005, "sigma");
  expect_within(f.kappa, 7.690945e-4, 0.005, "kappa");
  expect_within(f.lambda, 995.6486, 0.005, "lambda");
  ASSERT_TRUE(f.peak_concurrency.has_value());
  EXPECT_EQ(*f.peak_concurrency, 35.0);
  ASSERT_TRUE(f.max_throughput.has_value());
  expect_within(*f.max_throughput, 12341.745, 0.005, "max throughput");
  expect_within(f.throughput_at(20), 11063.633, 0.005, "X(20)");
  EXPECT_GT(f.r_squared, 0.99);
  EXPECT_EQ(f.regime, scaling_regime::coherence_bound);
  EXPECT_GT(f.sigma_error, 0.0);
  EXPECT_LT(f.sigma_error, f.sigma);
  EXPECT_GT(f.kappa_error, 0.0);
  EXPECT_LT(f.kappa_error, f.kappa);
}

TEST(UslFit, ReproducesThePublishedCoefficientsOfTheLoadTestExample) {
  const usl_fit f = fit_usl(kReadme);
  expect_within(f.sigma, 0.0277299, 0.005, "sigma");
  expect_within(f.kappa, 0.000104343, 0.005, "kappa");
  expect_within(f.lambda, 89.9878, 0.005, "lambda");
  ASSERT_TRUE(f.peak_concurrency.has_value());
  EXPECT_EQ(*f.peak_concurrency, 96.0);
  expect_within(*f.max_throughput, 1883.76, 0.005, "max throughput");
  // codahale/usl's predictions at 10, 50, 100 and 300 clients.
  expect_within(f.throughput_at(10), 714.778987, 0.005, "X(10)");
  expect_within(f.throughput_at(50), 1721.000603, 0.005, "X(50)");
  expect_within(f.throughput_at(100), 1883.278957, 0.005, "X(100)");
  expect_within(f.throughput_at(300), 1447.463805, 0.005, "X(300)");
}

std::vector<scaling_point> synthetic(double sigma, double kappa, double lambda, double noise,
                                     unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(-noise, noise);
  std::vector<scaling_point> pts;
  for (double n : {1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0}) {
    const double x = lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
    pts.push_back({n, x * (1 + jitter(rng))});
  }
  return pts;
}

TEST(UslFit, RecoversKnownCurvesWithAndWithoutNoise) {
  for (const auto& [sigma, kappa] :
       {std::pair{0.05, 0.001}, std::pair{0.2, 0.0}, std::pair{0.01, 0.0005}}) {
    const usl_fit exact = fit_usl(synthetic(sigma, kappa, 100.0, 0.0, 1));
    EXPECT_NEAR(exact.sigma, sigma, 1e-6) << sigma << "/" << kappa;
    EXPECT_NEAR(exact.kappa, kappa, 1e-8) << sigma << "/" << kappa;
    EXPECT_NEAR(exact.lambda, 100.0, 1e-4);
    EXPECT_GT(exact.r_squared, 0.999999);
    const usl_fit noisy = fit_usl(synthetic(sigma, kappa, 100.0, 0.03, 7));
    EXPECT_NEAR(noisy.sigma, sigma, 0.03) << sigma << "/" << kappa;
    EXPECT_NEAR(noisy.kappa, kappa, 3e-4) << sigma << "/" << kappa;
    EXPECT_NEAR(noisy.lambda, 100.0, 6.0);
  }
  // Without coherence there is no peak: throughput levels off towards lambda / sigma.
  const usl_fit flat = fit_usl(synthetic(0.2, 0.0, 100.0, 0.0, 1));
  EXPECT_EQ(flat.regime, scaling_regime::contention_bound);
  EXPECT_FALSE(flat.peak_concurrency.has_value());
  EXPECT_NEAR(*flat.max_throughput, 500.0, 1.0);
  const usl_fit ideal = fit_usl(synthetic(0.0, 0.0, 100.0, 0.0, 1));
  EXPECT_EQ(ideal.regime, scaling_regime::linear);
}

TEST(AmdahlFit, RecoversTheSerialFractionAndKarpFlattAgrees) {
  for (const double s : {0.1, 0.3, 0.5}) {
    std::vector<scaling_point> pts;
    for (double n : {1.0, 2.0, 3.0, 4.0}) pts.push_back({n, 10.0 * n / (1 + s * (n - 1))});
    const usl_fit f = fit_amdahl(pts);
    EXPECT_NEAR(f.sigma, s, 1e-6);
    EXPECT_EQ(f.kappa, 0.0);
    // Karp-Flatt at N = 2 from the speedup there.
    const double speedup = pts[1].throughput / pts[0].throughput;
    EXPECT_NEAR(*karp_flatt(speedup, 2.0), s, 1e-9);
  }
  // Two points fix the curve: sigma is Karp-Flatt's value, with no standard error.
  const std::vector<scaling_point> two = {{1, 10.0}, {2, 10.0 * 2 / 1.3}};
  const usl_fit exact = fit_amdahl(two);
  EXPECT_NEAR(exact.sigma, 0.3, 1e-6);
  EXPECT_EQ(exact.sigma_error, 0.0);
  EXPECT_THROW((void)fit_amdahl(std::vector<scaling_point>{{2, 10.0}, {2, 11.0}}),
               std::invalid_argument);
  EXPECT_FALSE(karp_flatt(1.5, 1.0).has_value());
  EXPECT_FALSE(karp_flatt(0.0, 4.0).has_value());
}

TEST(UslFit, AFlatCurveFitsAtTheBoundAndNeverLosesToItsMean) {
  // A CPU-bound sweep under an emulated GIL on 2 cores: no W gives more than one worker. The
  // best USL curve has sigma = 1 (a constant lambda, the mean, is one of its curves), so R² can
  // never be negative; a step clamped at the bound used to stop the fit at R² = -0.24.
  const std::vector<scaling_point> flat = {{1, 23.372211}, {2, 23.131274}, {3, 22.693176},
                                           {4, 22.682243}, {5, 23.071424}, {6, 22.790420}};
  const usl_fit f = fit_usl(flat);
  EXPECT_GT(f.sigma, 0.99);
  EXPECT_GE(f.r_squared, 0.3) << "sigma " << f.sigma << " kappa " << f.kappa;
  EXPECT_NEAR(f.throughput_at(1), 23.2, 0.3);
  const usl_fit a = fit_amdahl(flat);
  EXPECT_GE(a.r_squared, -1e-9);
  EXPECT_NEAR(a.sigma, 1.0, 0.02);
}

TEST(UslFit, RefusesWhatCannotBeFittedInOneLine) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<std::pair<std::vector<scaling_point>, std::string>> bad = {
      {{{1, 10}}, "at least 4 points"},
      {{{4, 10}, {4, 10}, {4, 10}, {4, 10}}, "different concurrency"},
      {{{1, 10}, {2, -5}, {3, 20}, {4, 25}}, "throughput must be a number in (0, 1e+300]"},
      {{{1, 10}, {2, nan}, {3, 20}, {4, 25}}, "throughput must be a number in (0, 1e+300]"},
      {{{1, 1e308}, {2, 1.7e308}, {3, 1.6e308}, {4, 1.5e308}}, "(0, 1e+300]"},
      {{{0, 10}, {2, 15}, {3, 20}, {4, 25}}, "concurrency must be a number in [1, 1e+06]"},
      {{{1, 10}, {2, 15}, {3, 20}, {1e300, 25}}, "concurrency must be a number in [1, 1e+06]"},
      {{{1, 1e-300}, {2, 15}, {3, 20}, {4, 25}}, "less than 1/1e+12 of the largest"},
  };
  for (const auto& [pts, mention] : bad) {
    try {
      (void)fit_usl(pts);
      ADD_FAILURE() << "expected a refusal mentioning " << mention;
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(mention), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

TEST(UslFit, SmallestConcurrencyReachingMostOfTheBest) {
  const usl_fit f = fit_usl(kBook);
  std::vector<double> candidates;
  for (int n = 1; n <= 64; ++n) candidates.push_back(n);
  const double n = smallest_reaching(f, candidates, 0.95);
  EXPECT_LT(n, 35.0);
  EXPECT_GE(f.throughput_at(n), 0.95 * *f.max_throughput);
  EXPECT_LT(f.throughput_at(n - 1), 0.95 * *f.max_throughput);
}

TEST(ScalingCsv, ReadsPointsSkipsAHeaderAndNamesABadLine) {
  const auto pts = read_scaling_csv("concurrency,throughput\n# a comment\n1,65\n\n18, 996\r\n");
  ASSERT_EQ(pts.size(), 2U);
  EXPECT_EQ(pts[1].concurrency, 18.0);
  EXPECT_EQ(pts[1].throughput, 996.0);
  try {
    (void)read_scaling_csv("1,65\n2,x\n");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)read_scaling_csv("1,2,3\n4,5,6\n"), std::invalid_argument);
}

}  // namespace
}  // namespace parlab
