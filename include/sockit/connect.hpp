// SPDX-License-Identifier: MIT
// Kept for code written against sockit 1.x: ConnectOptions is in connect_options.hpp.
#pragma once

#include "sockit/connect_options.hpp"
