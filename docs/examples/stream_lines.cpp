// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/streams.md: a line protocol over SocketStream (Python's makefile).
// Exit status 0 when every line came back in upper case.
#include <sockit/sockit.hpp>

#include <cctype>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

std::string upper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

// Answers each line with the line in upper case, until the client closes.
void shout(sockit::TcpStream conn) {
    sockit::SocketStream io(std::move(conn));
    std::string line;
    while (std::getline(io, line))          // the stream gathers bytes until a whole line is there
        io << upper(line) << '\n' << std::flush; // flush sends it
}

int main() {
    sockit::TcpServer server("127.0.0.1", 0);
    std::thread serving([&] { shout(server.accept().first); });

    sockit::SocketStream io(sockit::TcpClient("127.0.0.1", server.port()));
    io.socket().set_timeout(std::chrono::seconds(5)); // a read that waits longer fails the stream
    bool ok = true;
    for (std::string line : {"hello", "line two", "你好 sockit"}) {
        io << line << '\n'; // buffered; sent before the stream blocks to read
        std::string reply;
        if (!std::getline(io, reply)) {
            std::cout << "no reply: " << io.error().message() << '\n';
            ok = false;
            break;
        }
        std::cout << "<< " << reply << '\n';
        ok = ok && reply == upper(line);
    }
    io.socket().shutdown(sockit::Shutdown::write); // the server's getline sees end of stream
    serving.join();
    return ok ? 0 : 1;
}
