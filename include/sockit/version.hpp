// SPDX-License-Identifier: MIT
#pragma once

/// sockit's major version: incompatible API changes.
#define SOCKIT_VERSION_MAJOR 2
/// sockit's minor version: compatible additions.
#define SOCKIT_VERSION_MINOR 0
/// sockit's patch version: compatible fixes.
#define SOCKIT_VERSION_PATCH 0
/// The version as one number: major * 10000 + minor * 100 + patch.
#define SOCKIT_VERSION (SOCKIT_VERSION_MAJOR * 10000 + SOCKIT_VERSION_MINOR * 100 + SOCKIT_VERSION_PATCH)
