// The host-emulation launcher: compiles every kernel (the .cu files, with host_emulation.h force-included) into
// one shared library whose gear_emu_launch runs a named kernel serially over its grid, taking the arguments as
// cuLaunchKernel does (an array of pointers to each argument), so that the C# side launches emulated and real
// kernels the same way.
#include <cstring>
#include <utility>

thread_local GearDim3 threadIdx, blockIdx, blockDim, gridDim;

#include "../gather.cu"
#include "../sumtree.cu"

namespace
{
// Calls kernel(*(A0*)args[0], *(A1*)args[1], ...).
template <typename... A, std::size_t... I>
void invoke(void (*kernel)(A...), void** args, std::index_sequence<I...>)
{
    kernel(*static_cast<A*>(args[I])...);
}

template <typename... A>
void invoke(void (*kernel)(A...), void** args)
{
    invoke(kernel, args, std::index_sequence_for<A...>{});
}

struct Entry
{
    const char* name;
    void (*call)(void** args);
};

#define GEAR_KERNEL(name) { #name, [](void** args) { invoke(name, args); } }
const Entry kernels[] = {
    GEAR_KERNEL(gear_gather),
    GEAR_KERNEL(gear_gather_mask),
    GEAR_KERNEL(gear_tree_claim),
    GEAR_KERNEL(gear_tree_write_leaves),
    GEAR_KERNEL(gear_tree_release),
    GEAR_KERNEL(gear_tree_update_level),
    GEAR_KERNEL(gear_tree_sample),
};
}

// Runs kernel `name` over grid (gridX, gridY) of blocks of blockX threads, one thread at a time.
// Returns 0, or -1 when no kernel has that name.
extern "C" int gear_emu_launch(const char* name, unsigned gridX, unsigned gridY, unsigned blockX, void** args)
{
    for (const Entry& entry : kernels)
    {
        if (std::strcmp(entry.name, name) != 0)
            continue;
        gridDim = { gridX, gridY, 1 };
        blockDim = { blockX, 1, 1 };
        for (unsigned by = 0; by < gridY; by++)
            for (unsigned bx = 0; bx < gridX; bx++)
                for (unsigned tx = 0; tx < blockX; tx++)
                {
                    blockIdx = { bx, by, 0 };
                    threadIdx = { tx, 0, 0 };
                    entry.call(args);
                }
        return 0;
    }
    return -1;
}
