// SPDX-License-Identifier: MIT
// What the four chat programs share: the command line, the `(ip, port)` text,
// the `>>` prompt, and stopping a server on SIGINT or SIGTERM. POSIX only.
// The TCP pair speaks TLS too when built with sockit::tls (SOCKIT_EXAMPLES_TLS is then 1).
#pragma once

#include <sockit/sockit.hpp>
#ifndef SOCKIT_EXAMPLES_TLS
#define SOCKIT_EXAMPLES_TLS 0
#endif
#if SOCKIT_EXAMPLES_TLS
#include <sockit/tls.hpp>
#endif

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>

#include <pthread.h>
#include <unistd.h>

namespace chat {

/// What a chat program was asked to do.
struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    bool echo = false;
    // TLS (the TCP pair only): a server's certificate chain and key, both or neither; a
    // client's --tls, the CA file it trusts instead of the system's, and the name it checks.
    std::string cert;
    std::string key;
    bool tls = false;
    std::string ca;
    std::string server_name;
};

/// How a program describes itself for `--help`.
struct Program {
    const char* name;
    std::uint16_t default_port;
    bool is_server; // servers take --echo and --port 0
    const char* summary;
    bool takes_tls = false; // the TCP pair: --cert/--key for the server, --tls/--ca/--server-name for the client
};

/// True if these programs were built with sockit::tls.
constexpr bool built_with_tls = SOCKIT_EXAMPLES_TLS != 0;

/// Prints `name: message` on standard error and exits with `status`.
[[noreturn]] inline void fail(const char* name, const std::string& message, int status = 1) {
    std::cerr << name << ": " << message << '\n';
    std::exit(status);
}

/// True for the TLS options `program` takes.
inline bool is_tls_flag(std::string_view arg, const Program& program) {
    if (program.is_server) return arg == "--cert" || arg == "--key";
    return arg == "--tls" || arg == "--ca" || arg == "--server-name";
}

/// The `--help` lines of the TLS options.
inline std::string tls_help(const Program& program) {
    if (!program.takes_tls) return "";
    std::string text = program.is_server
                           ? "  --cert FILE  serve TLS (1.2 or newer) with the PEM certificate chain in FILE\n"
                             "  --key FILE   and the PEM private key in FILE (both or neither)\n"
                           : "  --tls        speak TLS (1.2 or newer), verifying the server's certificate\n"
                             "  --ca FILE    trust the PEM CA certificates in FILE (default: the system's)\n"
                             "  --server-name NAME  the name to check and send as SNI (default: --host)\n";
    if (!built_with_tls) text += "               (not in this build: it was made without OpenSSL 3)\n";
    return text;
}

/// Parses `[--host H] [--port P] [--echo] [--help]`; prints help or one error line and exits when it must.
inline Options parse_command_line(int argc, char** argv, const Program& program) {
    Options options;
    options.port = program.default_port;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        bool has_value = i + 1 < argc;
        if (arg == "--help" || arg == "-h") {
            std::cout << "usage: " << program.name << " [--host H] [--port P]" << (program.is_server ? " [--echo]" : "")
                      << (!program.takes_tls  ? ""
                          : program.is_server ? " [--cert FILE --key FILE]"
                                              : " [--tls [--ca FILE] [--server-name NAME]]")
                      << "\n\n"
                      << program.summary << "\n\n"
                      << "  --host H  IPv4 or IPv6 address or host name (default 127.0.0.1"
                      << (program.is_server ? "; 0.0.0.0 listens on every interface" : "") << ")\n"
                      << (program.is_server
                              ? "  --port P  port from 0 to 65535, 0 for any free one, printed on start (default "
                              : "  --port P  port from 1 to 65535 (default ")
                      << program.default_port << ")\n"
                      << (program.is_server ? "  --echo    send every message back instead of the usual reply\n" : "")
                      << tls_help(program) << "  --help    show this text\n";
            std::exit(0);
        } else if (arg == "--host" && has_value) {
            options.host = argv[++i];
        } else if (arg == "--port" && has_value) {
            std::string_view text = argv[++i];
            std::error_code ec;
            options.port = sockit::parse_port(text, ec);
            // A server may listen on port 0 (the system picks a free one, printed in its
            // "listening on" line); a client must name the port it goes to.
            if (ec || (options.port == 0 && !program.is_server))
                fail(program.name,
                     "port '" + std::string(text) + "': must be a number from " + (program.is_server ? "0" : "1") +
                         " to 65535",
                     2);
        } else if (arg == "--echo" && program.is_server) {
            options.echo = true;
        } else if (program.takes_tls && is_tls_flag(arg, program)) {
            if (!built_with_tls) fail(program.name, std::string(arg) + ": built without TLS (no OpenSSL 3)", 2);
            if (arg == "--tls") {
                options.tls = true;
            } else if (!has_value) {
                fail(program.name, std::string(arg) + " needs a value (see --help)", 2);
            } else {
                std::string& value = arg == "--cert"  ? options.cert
                                     : arg == "--key" ? options.key
                                     : arg == "--ca"  ? options.ca
                                                      : options.server_name;
                value = argv[++i];
                if (value.empty()) fail(program.name, std::string(arg) + " needs a non-empty value", 2);
            }
        } else if (arg == "--host" || arg == "--port") {
            fail(program.name, std::string(arg) + " needs a value (see --help)", 2);
        } else {
            fail(program.name, "unknown argument '" + std::string(arg) + "' (see --help)", 2);
        }
    }
    if (options.cert.empty() != options.key.empty())
        fail(program.name, "--cert and --key go together: give both or neither (see --help)", 2);
    if (!options.tls && (!options.ca.empty() || !options.server_name.empty()))
        fail(program.name, std::string(options.ca.empty() ? "--server-name" : "--ca") + " needs --tls (see --help)", 2);
    return options;
}

/// The address a UDP program uses for `--host`/`--port`: the host's first IPv4 address (like the
/// document's AF_INET programs, so "localhost" meets a server on 127.0.0.1), else its first address.
inline sockit::Address udp_address(const Options& options) {
    auto all = sockit::Address::resolve(options.host, options.port);
    for (const sockit::Address& a : all)
        if (a.is_v4()) return a;
    return all.front();
}

/// The peer as the document prints it: `(127.0.0.1, 54321)`.
inline std::string peer_text(const sockit::Address& peer) {
    return "(" + peer.host() + ", " + std::to_string(peer.port()) + ")";
}

/// Prints the `>>` prompt, but only to a person at a terminal.
inline void prompt() {
    if (::isatty(STDIN_FILENO)) std::cout << ">>" << std::flush;
}

/**
 * Stops a server on SIGINT or SIGTERM. Create it before any other thread: it blocks
 * both signals in this thread (and so in every thread started later) and waits for
 * them on a thread of its own, where it may call anything, unlike a signal handler.
 * `on_stop` runs there once, and should wake the server (shut its sockets down).
 */
class SignalStop {
public:
    explicit SignalStop(std::function<void()> on_stop) : on_stop_(std::move(on_stop)) {
        sigemptyset(&signals_);
        sigaddset(&signals_, SIGINT);
        sigaddset(&signals_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
        watcher_ = std::thread([this] {
            int signal = 0;
            sigwait(&signals_, &signal);
            if (finished_) return; // woken by the destructor
            stopped_ = true;
            on_stop_();
        });
    }
    SignalStop(const SignalStop&) = delete;
    SignalStop& operator=(const SignalStop&) = delete;
    ~SignalStop() {
        finished_ = true;
        if (!stopped_) pthread_kill(watcher_.native_handle(), SIGTERM);
        watcher_.join();
    }

    /// True once a signal has asked the server to stop.
    bool stopped() const noexcept { return stopped_; }

private:
    std::function<void()> on_stop_;
    sigset_t signals_{};
    std::atomic<bool> stopped_{false};
    std::atomic<bool> finished_{false};
    std::thread watcher_;
};

/// Runs a program's body: any exception becomes one line on standard error and exit status 1.
template <class Body>
int run(const char* name, Body body) {
    try {
        body();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << name << ": " << e.what() << '\n';
        return 1;
    }
}

} // namespace chat
