// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/tcp.md "Sending a file": a file, then a range of it, over loopback TCP with send_file.
// Exit status 0 when the receiver got the file and then the range.
#include <sockit/sockit.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

int main() {
#ifdef __linux__
    char path[] = "/tmp/sockit-send-file-XXXXXX";
    int file = ::mkstemp(path);
    const std::string content = "a file of some length, sent without a copy through user space\n";
    if (file < 0 || ::write(file, content.data(), content.size()) != static_cast<ssize_t>(content.size())) return 1;
    try {
        sockit::TcpServer server("127.0.0.1", 0);
        sockit::TcpClient client("127.0.0.1", server.port());
        auto [conn, peer] = server.accept();

        client.set_timeout(std::chrono::seconds(10));   // one deadline for the whole file
        std::uint64_t sent = client.send_file(file);     // all of it: sendfile(2), no copy in user space
        sent += client.send_file(file, 2, 4);            // 4 bytes from offset 2: "file"
        client.shutdown(sockit::Shutdown::write);

        std::string got;
        while (true) {
            std::string part = conn.recv(65536);
            if (part.empty()) break;
            got += part;
        }
        std::cout << "sent " << sent << " bytes, received " << got.size() << '\n';
        ::close(file);
        ::unlink(path);
        return got == content + "file" ? 0 : 1;
    } catch (const sockit::Error& e) {
        std::cerr << "send_file: " << e.what() << '\n';
        ::close(file);
        ::unlink(path);
        return 1;
    }
#else
    std::cout << "send_file needs POSIX file descriptors\n";
    return 0;
#endif
}
