// SPDX-License-Identifier: MIT
// Sending a file over loopback TCP, three ways side by side in one process (bench/send_file.sh):
//   raw-sendfile   sendfile(2) in a loop, written by hand;
//   sockit         TcpStream::send_file;
//   sockit+timeout the same with a timeout (a non-blocking socket: a sendfile per buffer-full);
//   read-send_all  read(2) of 64 KiB at a time and sockit's send_all: the copy through user space
//                  that send_file saves.
// A receiver thread reads everything and checks the byte count.
//
//   send_file --run VARIANT MIB|FILE   one transfer of MIB MiB (or of FILE); prints "variant MiB/s"
//   send_file --bench MIB REPS         every variant REPS times, interleaved; prints the medians
//   send_file --check                  each variant delivers exactly the file's bytes, in order
#include <sockit/sockit.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>

namespace {

/// A temporary file of `mib` MiB of a repeating pattern, read once so that it is in the page cache.
struct TempFile {
    int fd = -1;
    std::string path;
    std::uint64_t size = 0;
    explicit TempFile(std::uint64_t mib) {
        char name[] = "/tmp/sockit-bench-sendfile-XXXXXX";
        fd = ::mkstemp(name);
        if (fd < 0) throw std::runtime_error("mkstemp failed");
        path = name;
        std::vector<char> chunk(1 << 20);
        for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>('a' + i % 26);
        for (std::uint64_t i = 0; i < mib; ++i)
            if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size()))
                throw std::runtime_error("write failed");
        size = mib << 20;
        for (std::uint64_t at = 0; at < size; at += chunk.size())
            if (::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(at)) <= 0) break;
    }
    /// An existing file, kept (for a run under strace that counts only the transfer's calls).
    explicit TempFile(const std::string& existing) : path(existing), keep(true) {
        fd = ::open(existing.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("cannot open " + existing);
        size = static_cast<std::uint64_t>(::lseek(fd, 0, SEEK_END));
    }
    ~TempFile() {
        ::close(fd);
        if (!keep) ::unlink(path.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    bool keep = false;
};

/// Sends the whole file one way; returns the bytes sent.
std::uint64_t send_one(const std::string& variant, sockit::TcpStream& out, const TempFile& file) {
    if (variant == "raw-sendfile") {
        off_t at = 0;
        while (static_cast<std::uint64_t>(at) < file.size) {
            ssize_t n = ::sendfile(out.native_handle(), file.fd, &at,
                                   static_cast<std::size_t>(file.size - static_cast<std::uint64_t>(at)));
            if (n <= 0) throw std::runtime_error("sendfile failed");
        }
        return static_cast<std::uint64_t>(at);
    }
    if (variant == "sockit") return out.send_file(file.fd);
    if (variant == "sockit+timeout") {
        out.set_timeout(std::chrono::seconds(30));
        return out.send_file(file.fd);
    }
    if (variant == "read-send_all") {
        std::vector<char> buf(64 * 1024);
        std::uint64_t sent = 0;
        for (;;) {
            ssize_t n = ::pread(file.fd, buf.data(), buf.size(), static_cast<off_t>(sent));
            if (n <= 0) break;
            out.send_all(buf.data(), static_cast<std::size_t>(n));
            sent += static_cast<std::uint64_t>(n);
        }
        return sent;
    }
    throw std::runtime_error("unknown variant " + variant);
}

/// One transfer: MiB/s, after checking the receiver got every byte (and, with `verify`, in order).
double run(const std::string& variant, const TempFile& file, bool verify) {
    sockit::TcpServer server("127.0.0.1", 0);
    sockit::TcpClient client("127.0.0.1", server.port());
    auto [conn, peer] = server.accept();
    std::uint64_t received = 0;
    bool in_order = true;
    std::thread reader([&, &c = conn] {
        std::vector<char> buf(256 * 1024);
        while (std::size_t n = c.recv(buf.data(), buf.size())) {
            if (verify)
                for (std::size_t i = 0; i < n; ++i)
                    if (buf[i] != static_cast<char>('a' + ((received + i) % (1 << 20)) % 26)) in_order = false;
            received += n;
        }
    });
    auto start = std::chrono::steady_clock::now();
    std::uint64_t sent = send_one(variant, client, file);
    client.shutdown(sockit::Shutdown::write);
    reader.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (sent != file.size || received != file.size || !in_order)
        throw std::runtime_error(variant + ": sent " + std::to_string(sent) + ", received " + std::to_string(received) +
                                 (in_order ? "" : ", out of order") + " of " + std::to_string(file.size));
    return static_cast<double>(file.size) / (1 << 20) / seconds;
}

const std::vector<std::string> variants{"raw-sendfile", "sockit", "sockit+timeout", "read-send_all"};

} // namespace

int main(int argc, char** argv) {
    try {
        std::string mode = argc > 1 ? argv[1] : "--bench";
        if (mode == "--check") {
            TempFile file(8);
            for (const auto& v : variants) run(v, file, true);
            std::cout << "send_file check: every variant delivered 8 MiB in order\n";
            return 0;
        }
        if (mode == "--run" && argc == 4) {
            const std::string what = argv[3];
            TempFile file = what.find_first_not_of("0123456789") == std::string::npos
                                ? TempFile(std::strtoull(what.c_str(), nullptr, 10))
                                : TempFile(what);
            std::cout << argv[2] << ' ' << run(argv[2], file, false) << '\n';
            return 0;
        }
        if (mode == "--bench") {
            std::uint64_t mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024;
            int reps = argc > 3 ? std::atoi(argv[3]) : 7;
            TempFile file(mib);
            std::map<std::string, std::vector<double>> rates;
            for (int r = 0; r < reps; ++r)
                for (const auto& v : variants) rates[v].push_back(run(v, file, false));
            for (const auto& v : variants) {
                auto& x = rates[v];
                std::sort(x.begin(), x.end());
                std::cout << "send_file " << v << " MiB/s: " << x[x.size() / 2] << '\n';
            }
            return 0;
        }
        std::cerr << "usage: send_file --check | --run VARIANT MIB | --bench [MIB [REPS]]\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "send_file: " << e.what() << '\n';
        return 1;
    }
}
