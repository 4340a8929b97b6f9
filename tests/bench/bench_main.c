// SPDX-License-Identifier: GPL-2.0-only
#include "bench.h"
int main(void)
{
	return 0;
}
