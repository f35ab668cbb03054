#include "gpt2/read_bandwidth.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "gpt2/error.hpp"
#include "huge_pages.hpp"
#include "kernels/f32_kernels.hpp"
#include "thread_pool.hpp"

namespace gpt2 {

struct ReadBandwidthProbe::Impl {
    ThreadPool pool;
    std::int64_t n_floats;
    HugePageBuffer buffer;
    std::vector<float> partial;   // one sum per chunk

    Impl(int n_threads, std::int64_t n)
        : pool(n_threads, 0),
          n_floats(n),
          buffer(make_huge_page_buffer(static_cast<std::size_t>(n) * sizeof(float))),
          partial(static_cast<std::size_t>(pool.size())) {
        // Written once, so every page is mapped before the first timed read
        // (and holds ordinary numbers: no denormals in the sums).
        float* f = data();
        for (std::int64_t i = 0; i < n; ++i) f[i] = static_cast<float>(i & 1023) * 1e-3f;
    }
    float* data() { return reinterpret_cast<float*>(buffer.get()); }
};

ReadBandwidthProbe::ReadBandwidthProbe(int n_threads, std::int64_t bytes) {
    if (bytes < 4096)
        throw Error("read-bandwidth probe: " + std::to_string(bytes) + " bytes is too small (at least 4096)");
    impl_ = std::make_unique<Impl>(n_threads, bytes / static_cast<std::int64_t>(sizeof(float)));
}
ReadBandwidthProbe::ReadBandwidthProbe(ReadBandwidthProbe&&) noexcept = default;
ReadBandwidthProbe& ReadBandwidthProbe::operator=(ReadBandwidthProbe&&) noexcept = default;
ReadBandwidthProbe::~ReadBandwidthProbe() = default;

int ReadBandwidthProbe::threads() const { return impl_->pool.size(); }
std::int64_t ReadBandwidthProbe::bytes() const {
    return impl_->n_floats * static_cast<std::int64_t>(sizeof(float));
}

float ReadBandwidthProbe::read_once() {
    // The CPU's best level whatever GPT2_ISA says: the probe measures the
    // memory, and a one-lane loop cannot keep enough loads in flight.
    const auto read_sum = kernels::f32::kernels_for(kernels::cpu::detected()).read_sum;
    const float* p = impl_->data();
    std::vector<float>& partial = impl_->partial;
    // 1024 floats: the shares start on 4 KB boundaries.
    impl_->pool.parallel_for(impl_->n_floats, 1024, [&](std::int64_t b, std::int64_t e, int chunk) {
        partial[static_cast<std::size_t>(chunk)] = read_sum(p + b, e - b);
    });
    float s = 0.0f;
    for (const float v : partial) s += v;
    return s;
}

double ReadBandwidthProbe::best_gb_per_s(int passes) {
    if (passes < 1) throw Error("read-bandwidth probe: passes must be at least 1, got " + std::to_string(passes));
    using Clock = std::chrono::steady_clock;
    double best_s = 0.0;
    volatile float sink = 0.0f;
    for (int i = 0; i < passes; ++i) {
        const auto t0 = Clock::now();
        sink = sink + read_once();
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (i == 0 || s < best_s) best_s = s;
    }
    return static_cast<double>(bytes()) / best_s / 1e9;
}

}  // namespace gpt2
