// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/unix-sockets.md: a Unix-domain echo server on a socket file, a client, the same
// without exceptions, a pipe's descriptor passed over a stream pair, and datagrams. Exit
// status 0 when all of it worked.
#include <sockit/sockit.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <unistd.h>

int serve_and_connect(const std::string& path) {
    sockit::UnixServer server(path); // a stale file left by a dead server is replaced
    std::thread serving([&] {
        auto [conn, peer] = server.accept(); // peer: usually (unnamed)
        char buf[256];
        while (std::size_t n = conn.recv(buf, sizeof buf)) conn.send_all(buf, n);
    });

    sockit::UnixClient client(path, std::chrono::seconds(3)); // bounds the connect and every later call
    client.send_all("over a socket file\n");
    std::string line = client.recv_until("\n", 1024);
    client.shutdown(sockit::Shutdown::write); // the server's recv returns 0
    serving.join();
    std::cout << line;
    return line == "over a socket file\n" ? 0 : 1;
} // server closes here and removes the file (unlink_on_close)

int without_exceptions(const std::string& path) {
    std::error_code ec;
    auto client = sockit::UnixClient::open(path, std::chrono::seconds(3), ec);
    if (ec) std::cout << "no server at " << path << ": " << ec.message() << '\n'; // client owns nothing
    return ec == std::errc::no_such_file_or_directory && !client.is_open() ? 0 : 1;
}

int pass_a_descriptor() {
    auto [parent, child] = sockit::stream_pair(); // two connected UnixStreams
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return 1;

    parent.send_fds("w", {pipe_fds[1]}); // the write end travels with one byte of data
    ::close(pipe_fds[1]);

    char tag;
    sockit::ReceivedFds got = child.recv_fds(&tag, 1, 4); // room for up to 4 descriptors
    sockit::Descriptor& write_end = got.fds.at(0);        // owned, close-on-exec
    bool written = ::write(write_end.native_handle(), "!", 1) == 1;

    char c = 0;
    bool read_back = ::read(pipe_fds[0], &c, 1) == 1 && c == '!';
    ::close(pipe_fds[0]);
    return written && read_back ? 0 : 1;
}

int datagrams() {
    auto name = sockit::UnixAddress::abstract("sockit-docs-" + std::to_string(::getpid())); // Linux: no file
    sockit::UnixDatagram server(name);
    auto client = sockit::UnixDatagram::open(); // unbound: its datagrams come from (unnamed)
    client.send_to("one message", name);
    char buf[64];
    server.set_timeout(std::chrono::seconds(3));
    auto [size, sender] = server.recv_from(buf, sizeof buf);
    std::cout << std::string(buf, size) << " from " << sender << '\n';
    return std::string(buf, size) == "one message" ? 0 : 1;
}

int main() {
    try {
        std::string path = "/tmp/sockit-docs-" + std::to_string(::getpid()) + ".sock";
        return serve_and_connect(path) | without_exceptions(path) | pass_a_descriptor() | datagrams();
    } catch (const sockit::Error& e) {
        std::cerr << "unix_sockets: " << e.what() << '\n';
        return 1;
    }
}
