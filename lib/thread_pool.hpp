#pragma once
// A persistent pool of worker threads for the kernels.
//
//   gpt2::ThreadPool pool(2);                       // 0 = hardware concurrency
//   pool.parallel_for(n_columns, 16, [&](std::int64_t begin, std::int64_t end, int chunk) {
//       compute_columns(begin, end);                 // disjoint ranges
//   });
//
// Threads are created once, in the constructor, and parked between jobs (a
// short spin, then a condition variable), so a kernel launch costs a wake-up,
// never a thread creation. The calling thread takes part in every job, and a
// job given its size (parallel_for with `work`) that is too small to repay a
// hand-off runs on the caller alone (kMinChunkWork).
//
// Determinism: a job is cut into size() chunks by a static rule
// (parallel_for: size() contiguous ranges of [0, n)), independent of timing.
// Which OS thread runs a chunk is decided at run time (threads claim the next
// unclaimed chunk), so a descheduled worker never stalls the caller: on a
// busy machine the caller simply runs the chunks itself. Kernels partition
// over *outputs* and never split one reduction across chunks, so every
// output value is computed by the same instruction sequence whatever the
// thread count or the scheduling: results are bit-identical for 1 and N
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
    // The least work (in multiply-adds, or element operations of similar
    // cost) that a chunk must carry to be worth handing to another thread.
    // A hand-off costs ~1-3 µs even with the workers spinning (the wake-up,
    // then the job's inputs and outputs crossing between the cores' caches),
    // which is 20-50K multiply-adds of one thread's time; measured on the
    // 2-core machine (docs/benchmarks.md, "Per-step overhead"), a decode-step
    // product of 16K multiply-adds ran 1.2-6x slower on two threads than on
    // one. The products of GPT-2 124M (≥ 590K per step and matrix) still split.
    static constexpr std::int64_t kMinChunkWork = std::int64_t{1} << 16;

    // n_threads ≤ 0 selects std::thread::hardware_concurrency() (at least 1).
    // min_chunk_work: see kMinChunkWork (0: split every job, whatever its
    // size — tests of thread-count independence use it).
    explicit ThreadPool(int n_threads = 0, std::int64_t min_chunk_work = kMinChunkWork);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }
    std::int64_t min_chunk_work() const { return min_chunk_work_; }

    // Calls fn(chunk) once for each chunk in [0, size()), on the caller and
    // the workers, and returns when all calls have returned. fn must not
    // throw.
    template <typename Fn>
    void run(Fn&& fn) {
        using F = std::remove_reference_t<Fn>;
        run_impl([](void* ctx, int chunk) { (*static_cast<F*>(ctx))(chunk); },
                 const_cast<void*>(static_cast<const void*>(&fn)));
    }

    // Splits [0, n) into size() contiguous ranges whose boundaries are
    // multiples of `grain` (except the end), and calls fn(begin, end, chunk)
    // for each non-empty one.
    template <typename Fn>
    void parallel_for(std::int64_t n, std::int64_t grain, Fn&& fn) {
        parallel_for(n, grain, -1, fn);
    }

    // The same, given the job's total `work` (see kMinChunkWork; < 0:
    // unknown, as above): uses at most max(1, work / min_chunk_work()) ranges,
    // so a job too small to repay a hand-off runs on the caller alone,
    // without touching the workers. Kernels partition over outputs, so the
    // number of ranges never changes the results.
    template <typename Fn>
    void parallel_for(std::int64_t n, std::int64_t grain, std::int64_t work, Fn&& fn) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        const std::int64_t n_grains = (n + grain - 1) / grain;
        std::int64_t max_chunks = n_grains < n_threads_ ? n_grains : n_threads_;
        if (work >= 0 && min_chunk_work_ > 0 && work / min_chunk_work_ < max_chunks) max_chunks = work / min_chunk_work_;
        const int n_used = max_chunks < 1 ? 1 : static_cast<int>(max_chunks);
        if (n_used == 1) {
            fn(std::int64_t{0}, n, 0);
            return;
        }
        run([&](int chunk) {
            if (chunk >= n_used) return;
            const std::int64_t g0 = n_grains * chunk / n_used;
            const std::int64_t g1 = n_grains * (chunk + 1) / n_used;
            const std::int64_t begin = g0 * grain;
            const std::int64_t end = g1 * grain < n ? g1 * grain : n;
            if (begin < end) fn(begin, end, chunk);
        });
    }

private:
    using Trampoline = void (*)(void*, int);
    void run_impl(Trampoline call, void* ctx);
    // Claims and runs chunks of job `generation` until none is left.
    void participate(std::uint32_t generation);
    void worker_loop();

    int n_threads_ = 1;
    std::int64_t min_chunk_work_ = kMinChunkWork;
    std::vector<std::thread> workers_;
    // The job: valid while a chunk of the current generation is unfinished.
    Trampoline job_call_ = nullptr;
    void* job_ctx_ = nullptr;
    std::uint32_t generation_ = 0;             // written by the caller only; wraps around
    // (generation << 32) | next unclaimed chunk. Publishing a job stores a
    // new generation; a thread claims a chunk by a CAS that also checks the
    // generation, so a late worker can never run a chunk of a finished job.
    std::atomic<std::uint64_t> claim_{0};
    std::atomic<int> done_{0};                 // finished chunks of the current job
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
};

}  // namespace gpt2
