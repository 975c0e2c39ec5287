// SPDX-License-Identifier: MIT
// Command-line parsing shared by chat_room and chat_load.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

namespace chat_args {

/// `text` as a positive number, or an error naming `flag` and `text`.
inline std::size_t positive(const std::string& flag, const std::string& text) {
    std::size_t used = 0;
    unsigned long long value = 0;
    try {
        value = std::stoull(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty() || text[0] == '-' || value == 0)
        throw std::invalid_argument(flag + " " + text + ": expected a positive number");
    return static_cast<std::size_t>(value);
}

/// Walks the arguments: --help prints `usage` and exits; `flag(name)` takes options without
/// a value and `option(name, value)` those with one, each returning false for unknown names.
template <class Flag, class Option>
void parse(int argc, char** argv, const char* usage, Flag&& flag, Option&& option) {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage;
            std::exit(0);
        }
        if (flag(arg)) continue;
        if (i + 1 >= argc) throw std::invalid_argument(arg + ": unknown option or missing value (see --help)");
        if (!option(arg, std::string(argv[++i]))) throw std::invalid_argument(arg + ": unknown option (see --help)");
    }
}

} // namespace chat_args
