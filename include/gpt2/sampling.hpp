#pragma once
// Umbrella header of the sampler library: every stage, the chain, presets,
// statistics and the RNG. See gpt2/sampling/chain.hpp for a usage example and
// docs/sampling.md for formulas, ranges and sources.
#include "gpt2/sampling/candidates.hpp"
#include "gpt2/sampling/chain.hpp"
#include "gpt2/sampling/dist.hpp"
#include "gpt2/sampling/greedy.hpp"
#include "gpt2/sampling/logit_bias.hpp"
#include "gpt2/sampling/min_p.hpp"
#include "gpt2/sampling/mirostat.hpp"
#include "gpt2/sampling/params.hpp"
#include "gpt2/sampling/penalties.hpp"
#include "gpt2/sampling/presets.hpp"
#include "gpt2/sampling/rng.hpp"
#include "gpt2/sampling/sampler.hpp"
#include "gpt2/sampling/stats.hpp"
#include "gpt2/sampling/temperature.hpp"
#include "gpt2/sampling/top_k.hpp"
#include "gpt2/sampling/top_n_sigma.hpp"
#include "gpt2/sampling/top_p.hpp"
#include "gpt2/sampling/typical_p.hpp"
