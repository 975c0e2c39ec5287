// SPDX-License-Identifier: MIT
// Unix-domain sockets, in one include: UnixAddress (unix_address.hpp), Descriptor
// (descriptor.hpp), what the classes share (unix_socket.hpp), UnixStream, UnixClient,
// UnixServer and stream_pair() (unix_stream.hpp), UnixDatagram and datagram_pair()
// (unix_datagram.hpp); descriptor passing (SCM_RIGHTS) is on both kinds of socket.
#pragma once

#include "sockit/descriptor.hpp"
#include "sockit/unix_address.hpp"
#include "sockit/unix_datagram.hpp"
#include "sockit/unix_socket.hpp"
#include "sockit/unix_stream.hpp"
