// The host-emulation launcher: compiles every kernel (the .cu files, with host_emulation.h force-included) into
// one shared library whose gear_emu_launch runs a named kernel serially over its grid, taking the arguments as
// cuLaunchKernel does (an array of pointers to each argument), so that the C# side launches emulated and real
// kernels the same way.
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

thread_local GearDim3 threadIdx, blockIdx, blockDim, gridDim;

#include "../gather.cu"
#include "../sumtree.cu"
#include "../selection.cu"

// A fake driver that embeds this launcher sets this to refuse launches with a pointer argument it never handed
// out (neither device memory nor registered host memory); null: no check.
extern "C" bool (*gear_emu_pointer_check)(const void* pointer);
bool (*gear_emu_pointer_check)(const void* pointer) = nullptr;

namespace
{
// Calls kernel(*(A0*)args[0], *(A1*)args[1], ...).
template <typename... A, std::size_t... I>
void invoke(void (*kernel)(A...), void** args, std::index_sequence<I...>)
{
    kernel(*static_cast<A*>(args[I])...);
}

template <typename A>
bool pointerAllowed(void* arg)
{
    if constexpr (std::is_pointer_v<A>)
        return gear_emu_pointer_check(*static_cast<A*>(arg));
    else
        return true;
}

template <typename... A, std::size_t... I>
bool pointersAllowed(void (*)(A...), void** args, std::index_sequence<I...>)
{
    return (pointerAllowed<A>(args[I]) && ...);
}

// Each argument's value, kept by its parameter's size.
template <typename... A, std::size_t... I>
std::vector<std::vector<unsigned char>> copyArgs(void (*)(A...), void** args, std::index_sequence<I...>)
{
    std::vector<std::vector<unsigned char>> kept;
    (kept.emplace_back(static_cast<unsigned char*>(args[I]), static_cast<unsigned char*>(args[I]) + sizeof(A)), ...);
    return kept;
}

struct Entry
{
    const char* name;
    void (*call)(void** args);
    bool (*check)(void** args);
    std::vector<std::vector<unsigned char>> (*copy)(void** args);
};

#define GEAR_KERNEL(name) { #name, \
    [](void** args) { invoke(name, args, std::make_index_sequence<kernel_arity(name)>{}); }, \
    [](void** args) { return pointersAllowed(name, args, std::make_index_sequence<kernel_arity(name)>{}); }, \
    [](void** args) { return copyArgs(name, args, std::make_index_sequence<kernel_arity(name)>{}); } }

template <typename... A>
constexpr std::size_t kernel_arity(void (*)(A...)) { return sizeof...(A); }

const Entry kernels[] = {
    GEAR_KERNEL(gear_gather),
    GEAR_KERNEL(gear_tree_claim),
    GEAR_KERNEL(gear_tree_write_leaves),
    GEAR_KERNEL(gear_tree_release),
    GEAR_KERNEL(gear_tree_update_level),
    GEAR_KERNEL(gear_tree_sample),
    GEAR_KERNEL(gear_weights_partial_min),
    GEAR_KERNEL(gear_weights_min),
    GEAR_KERNEL(gear_weights),
    GEAR_KERNEL(gear_uniform_pick),
    GEAR_KERNEL(gear_scatter),
    GEAR_KERNEL(gear_topk_histogram),
    GEAR_KERNEL(gear_topk_merge),
    GEAR_KERNEL(gear_topk_narrow),
    GEAR_KERNEL(gear_topk_collect),
    GEAR_KERNEL(gear_topk_rank),
};
}

// Runs kernel `name` over grid (gridX, gridY) of blocks of blockX threads, one thread at a time.
// Returns 0; -1 when no kernel has that name; -2 when a pointer argument fails gear_emu_pointer_check.
extern "C" int gear_emu_launch(const char* name, unsigned gridX, unsigned gridY, unsigned blockX, void** args)
{
    for (const Entry& entry : kernels)
    {
        if (std::strcmp(entry.name, name) != 0)
            continue;
        if (gear_emu_pointer_check != nullptr && !entry.check(args))
            return -2;
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

// For a launcher that runs a kernel later (the fake driver's streams): a copy of each argument's value, since the
// caller of cuLaunchKernel may reuse the arguments' storage once the call returns. Empty when no kernel has that name.
std::vector<std::vector<unsigned char>> gear_emu_copy_args(const char* name, void** args)
{
    for (const Entry& entry : kernels)
        if (std::strcmp(entry.name, name) == 0)
            return entry.copy(args);
    return {};
}

// Whether kernel `name`'s pointer arguments pass gear_emu_pointer_check, as gear_emu_launch checks them: 0, -1 when
// no kernel has that name, -2 when one fails; for a launcher that checks at the launch and runs the kernel later.
int gear_emu_pointer_check_args(const char* name, void** args)
{
    for (const Entry& entry : kernels)
        if (std::strcmp(entry.name, name) == 0)
            return gear_emu_pointer_check == nullptr || entry.check(args) ? 0 : -2;
    return -1;
}
