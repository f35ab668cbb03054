#pragma once
// The one error type of the library.
//
// Policy: errors are values at the boundaries (files, user input, parameters)
// and are thrown as gpt2::Error; the message names the file or parameter,
// what was expected and what was found. Inside hot loops nothing is checked
// at run time (asserts only). The CLI catches gpt2::Error and exits with 1
// (runtime) or 2 (usage). Library code never calls exit() and never prints.
#include <stdexcept>
#include <string>

namespace gpt2 {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace gpt2
