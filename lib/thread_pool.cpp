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
// kernel without burning a core when the session is idle (the machine may
// be shared). 2^14 pause instructions ≈ 50-500 µs depending on the CPU.
constexpr int kSpinIterations = 1 << 14;
constexpr std::uint64_t kChunkMask = 0xffffffffu;
}  // namespace

ThreadPool::ThreadPool(int n_threads, std::int64_t min_chunk_work) : min_chunk_work_(min_chunk_work) {
    if (n_threads <= 0) {
        const unsigned hw = std::thread::hardware_concurrency();
        n_threads = hw == 0 ? 1 : static_cast<int>(hw);
    }
    n_threads_ = n_threads;
    workers_.reserve(static_cast<std::size_t>(n_threads_ - 1));
    for (int t = 1; t < n_threads_; ++t) workers_.emplace_back([this] { worker_loop(); });
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
    job_call_ = call;
    job_ctx_ = ctx;
    done_.store(0, std::memory_order_relaxed);
    const std::uint32_t generation = ++generation_;
    claim_.store(std::uint64_t{generation} << 32, std::memory_order_release);   // publishes the job
    {
        // Taking the mutex between the store and the notification means a
        // worker that found no job under the mutex is already waiting, so
        // the notification cannot be lost.
        std::lock_guard<std::mutex> lock(mutex_);
    }
    wake_.notify_all();
    participate(generation);
    while (done_.load(std::memory_order_acquire) != n_threads_) GPT2_CPU_RELAX();
}

void ThreadPool::participate(std::uint32_t generation) {
    std::uint64_t current = claim_.load(std::memory_order_acquire);
    for (;;) {
        if ((current >> 32) != generation || (current & kChunkMask) >= static_cast<std::uint64_t>(n_threads_)) return;
        if (claim_.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
            // The claimed chunk is unfinished, so the caller is still waiting
            // in run_impl and job_call_/job_ctx_ are this generation's.
            job_call_(job_ctx_, static_cast<int>(current & kChunkMask));
            done_.fetch_add(1, std::memory_order_acq_rel);
            current = claim_.load(std::memory_order_acquire);
        }
    }
}

void ThreadPool::worker_loop() {
    std::uint32_t seen = 0;
    const auto generation_now = [&] { return static_cast<std::uint32_t>(claim_.load(std::memory_order_acquire) >> 32); };
    for (;;) {
        std::uint32_t current = generation_now();
        for (int spin = 0; current == seen && spin < kSpinIterations; ++spin) {
            if (stop_.load(std::memory_order_acquire)) return;
            GPT2_CPU_RELAX();
            current = generation_now();
        }
        if (current == seen) {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stop_.load(std::memory_order_acquire) || generation_now() != seen; });
            if (stop_.load(std::memory_order_acquire)) return;
            current = generation_now();
        }
        seen = current;
        participate(current);
    }
}

}  // namespace gpt2
