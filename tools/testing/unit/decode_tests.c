// SPDX-License-Identifier: GPL-2.0-only
#include "unit.h"
void emu_decode_tests(void) {}
