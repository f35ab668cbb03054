#include "io/json_strict.hpp"

#include <unordered_set>
#include <vector>

namespace gpt2::io {
namespace {

struct DuplicateKey {
    std::string key;
};

}  // namespace

nlohmann::json parse_json_strict(std::string_view text, std::string& error) {
    error.clear();
    // One set of keys per object being parsed (objects nest).
    std::vector<std::unordered_set<std::string>> open_objects;
    auto on_event = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if (event == Event::object_start) {
            open_objects.emplace_back();
        } else if (event == Event::object_end) {
            if (!open_objects.empty()) open_objects.pop_back();
        } else if (event == Event::key && !open_objects.empty()) {
            if (!open_objects.back().insert(parsed.get<std::string>()).second) {
                throw DuplicateKey{parsed.get<std::string>()};
            }
        }
        return true;
    };
    try {
        return nlohmann::json::parse(text.begin(), text.end(), on_event);
    } catch (const DuplicateKey& d) {
        error = "duplicate key " + nlohmann::json(d.key).dump() + " in one object";
    } catch (const nlohmann::json::out_of_range& e) {
        error = std::string("number out of range: ") + e.what();
    } catch (const nlohmann::json::exception& e) {
        error = std::string("invalid JSON: ") + e.what();
    }
    return nullptr;
}

}  // namespace gpt2::io
