#pragma once
// All sampling parameters in one value: what CLI options and presets fill in,
// and what Chain::from_params() turns into stages. Only the stages named in
// `order` are built; the other fields are ignored.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gpt2::sampling {

// The default order, llama.cpp's family: penalties and filters on the raw
// logits first, temperature last (so the filters' thresholds do not move with
// T), then the draw. Put "temperature" first to match Hugging Face generate().
inline constexpr const char* kDefaultOrder = "penalties,top_k,top_p,min_p,temperature,dist";

struct SamplingParams {
    std::string order = kDefaultOrder;   // comma-separated stage names
    float temperature = 0.8f;            // temperature: [0, inf); 0 = greedy
    int top_k = 40;                      // top_k: <= 0 off
    double top_p = 0.95;                 // top_p: (0, 1]; 1 off (double, as HF)
    float min_p = 0.05f;                 // min_p: [0, 1]; 0 off
    float typical_p = 1.0f;              // typical_p: (0, 1]; 1 off
    float top_n_sigma = 1.0f;            // top_n_sigma: [0, inf)
    float repeat_penalty = 1.0f;         // penalties: (0, inf); 1 off
    float frequency_penalty = 0.0f;      // penalties: [-2, 2]; 0 off
    float presence_penalty = 0.0f;       // penalties: [-2, 2]; 0 off
    int penalty_last_n = 64;             // penalties: window, [0, 1048576]
    float mirostat_tau = 5.0f;           // mirostat: (0, inf) bits
    float mirostat_eta = 0.1f;           // mirostat: (0, 1]
    std::vector<std::pair<std::int32_t, float>> logit_bias;   // logit_bias: (id, bias)

    bool operator==(const SamplingParams&) const = default;
};

}  // namespace gpt2::sampling
