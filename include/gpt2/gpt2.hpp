#pragma once
// gpt2: a GPT-2 inference engine. This umbrella header includes the whole
// public API.
//
//   #include <gpt2/gpt2.hpp>
//
//   gpt2::Model model = gpt2::Model::load("models/kjv-small");     // const, share it freely
//   gpt2::Tokenizer tok = gpt2::Tokenizer::from_dir("models/kjv-small");
//   gpt2::Session session(model, {.max_tokens = 256});            // mutable: KV cache, scratch
//   std::span<const float> logits = session.eval(tok.encode("In the beginning"));
//
//   namespace gs = gpt2::sampling;
//   gs::Chain chain = gs::Chain::from_params(gs::preset("top_p_90").params);
//   gs::Rng rng(/*seed=*/42, /*stream=*/0);
//   std::int32_t next = chain.sample(logits, rng);
//   chain.accept(next);
//   logits = session.eval(std::span<const std::int32_t>(&next, 1));
//   std::string piece = tok.decode(std::span<const std::int32_t>(&next, 1));
//
// Ownership and threads: a Model and a Tokenizer are immutable after loading
// and may be shared by any number of threads; a Session, a sampler Chain and
// an Rng belong to one thread at a time. Errors are thrown as gpt2::Error.
#include "gpt2/config.hpp"
#include "gpt2/error.hpp"
#include "gpt2/generate.hpp"
#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"
#include "gpt2/safetensors.hpp"
#include "gpt2/sampling.hpp"
#include "gpt2/session.hpp"
#include "gpt2/tokenizer.hpp"
#include "gpt2/utf8_stream.hpp"
#include "gpt2/version.hpp"
#include "gpt2/weights.hpp"
