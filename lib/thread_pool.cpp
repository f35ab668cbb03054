#include "thread_pool.hpp"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define GPT2_CPU_RELAX() _mm_pause()
#else
#define GPT2_CPU_RELAX() std::this_thread::yield()
#endif

namespace gpt2 {

namespace {
// How long a parked worker spins before sleeping on the condition variable.
// A decode step launches ~100 kernels back to back, so the next job usually
// arrives within microseconds; a short spin avoids a futex wake-up per
// kernel without burning a core when the session is idle (the machine is
// shared). ~2^14 pause instructions ≈ 50-200 µs depending on the CPU.
constexpr int kSpinIterations = 1 << 14;
}  // namespace

ThreadPool::ThreadPool(int n_threads) {
    if (n_threads <= 0) {
        const unsigned hw = std::thread::hardware_concurrency();
        n_threads = hw == 0 ? 1 : static_cast<int>(hw);
    }
    n_threads_ = n_threads;
    workers_.reserve(static_cast<std::size_t>(n_threads_ - 1));
    for (int t = 1; t < n_threads_; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    for (std::thread& w : workers_) w.join();
}

void ThreadPool::run_impl(Trampoline call, void* ctx) {
    if (n_threads_ == 1) {
        call(ctx, 0);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job_call_ = call;
        job_ctx_ = ctx;
        pending_.store(n_threads_ - 1, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    call(ctx, 0);
    while (pending_.load(std::memory_order_acquire) != 0) GPT2_CPU_RELAX();
}

void ThreadPool::worker_loop(int thread) {
    std::uint64_t seen = 0;
    for (;;) {
        std::uint64_t current = generation_.load(std::memory_order_acquire);
        for (int spin = 0; current == seen && spin < kSpinIterations; ++spin) {
            if (stop_.load(std::memory_order_acquire)) return;
            GPT2_CPU_RELAX();
            current = generation_.load(std::memory_order_acquire);
        }
        if (current == seen) {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] {
                return stop_.load(std::memory_order_acquire) ||
                       generation_.load(std::memory_order_acquire) != seen;
            });
            if (generation_.load(std::memory_order_acquire) == seen) return;  // stop
            current = generation_.load(std::memory_order_acquire);
        }
        seen = current;
        // job_call_/job_ctx_ were written before the release increment of
        // generation_ that we acquired, and the caller does not publish the
        // next job before pending_ reaches 0, so they are stable here.
        job_call_(job_ctx_, thread);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
}

}  // namespace gpt2
