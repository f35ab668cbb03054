#pragma once
// A persistent pool of worker threads for the kernels.
//
//   gpt2::ThreadPool pool(2);                       // 0 = hardware concurrency
//   pool.parallel_for(n_columns, 16, [&](std::int64_t begin, std::int64_t end, int thread) {
//       compute_columns(begin, end);                 // disjoint ranges, one per thread
//   });
//
// Threads are created once, in the constructor, and parked between calls (a
// short spin, then a condition variable), so a kernel launch costs a wake-up,
// never a thread creation. The calling thread does the share of thread 0.
//
// Determinism: parallel_for splits [0, n) statically into size() contiguous
// ranges. Kernels partition over *outputs* and never split one reduction
// across threads, so every output value is computed by the same instruction
// sequence whatever the thread count: results are bit-identical for 1 and N
// threads.
//
// Thread-safety: one caller at a time (a pool belongs to one Session). Not
// copyable or movable (workers hold `this`).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace gpt2 {

class ThreadPool {
public:
    // n_threads ≤ 0 selects std::thread::hardware_concurrency() (at least 1).
    explicit ThreadPool(int n_threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    // Calls fn(thread_index) once on each of the size() threads (index 0 is
    // the caller) and returns when all calls have returned. fn must not throw.
    template <typename Fn>
    void run(Fn&& fn) {
        using F = std::remove_reference_t<Fn>;
        run_impl([](void* ctx, int thread) { (*static_cast<F*>(ctx))(thread); },
                 const_cast<void*>(static_cast<const void*>(&fn)));
    }

    // Splits [0, n) into size() contiguous ranges whose boundaries are
    // multiples of `grain` (except the end), and calls fn(begin, end, thread)
    // for each non-empty one.
    template <typename Fn>
    void parallel_for(std::int64_t n, std::int64_t grain, Fn&& fn) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        const std::int64_t n_grains = (n + grain - 1) / grain;
        const int n_used = n_grains < n_threads_ ? static_cast<int>(n_grains) : n_threads_;
        if (n_used == 1) {
            fn(std::int64_t{0}, n, 0);
            return;
        }
        run([&](int thread) {
            if (thread >= n_used) return;
            const std::int64_t g0 = n_grains * thread / n_used;
            const std::int64_t g1 = n_grains * (thread + 1) / n_used;
            const std::int64_t begin = g0 * grain;
            const std::int64_t end = g1 * grain < n ? g1 * grain : n;
            if (begin < end) fn(begin, end, thread);
        });
    }

private:
    using Trampoline = void (*)(void*, int);
    void run_impl(Trampoline call, void* ctx);
    void worker_loop(int thread);

    int n_threads_ = 1;
    std::vector<std::thread> workers_;
    // A job is published by bumping generation_; workers that see a new
    // generation run it and decrement pending_.
    Trampoline job_call_ = nullptr;
    void* job_ctx_ = nullptr;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
};

}  // namespace gpt2
