// A stand-in for NVRTC (libnvrtc.so.13) for testing the CUDA backend's bindings without the CUDA toolkit: it
// knows architectures 70, 75 and 80, checks the options the backend must pass (one of those as sm_XY for a CUBIN
// or compute_XY for PTX, no FMA contraction) and that the source is a kernel file, and "compiles" to a blob that
// fake_cuda.cpp's cuModuleLoadData accepts. The kernels themselves
// run from the host emulation compiled into the fake driver. Signatures follow the NVRTC API reference.
#include <cstdlib>
#include <cstring>
#include <string>

namespace
{
struct Program
{
    std::string source, name, log, cubin, ptx;
};

const int architectures[] = { 70, 75, 80 };

// The architecture number of "sm_80"/"compute_80" if it is one this NVRTC knows, else 0.
int known(const char* text)
{
    int number = std::atoi(text);
    for (int a : architectures)
        if (a == number)
            return a;
    return 0;
}
}

extern "C" {

int nvrtcCreateProgram(Program** program, const char* source, const char* name, int headers, const char* const*, const char* const*)
{
    if (source == nullptr || headers != 0)
        return 4; // NVRTC_ERROR_INVALID_INPUT
    *program = new Program{ source, name ? name : "default_program", "", "" };
    return 0;
}

int nvrtcCompileProgram(Program* program, int count, const char* const* options)
{
    bool cubin = false, ptx = false, noFma = false;
    for (int i = 0; i < count; i++)
    {
        cubin |= std::strncmp(options[i], "--gpu-architecture=sm_", 22) == 0 && known(options[i] + 22);
        ptx |= std::strncmp(options[i], "--gpu-architecture=compute_", 27) == 0 && known(options[i] + 27);
        noFma |= std::strcmp(options[i], "--fmad=false") == 0;
    }
    if (cubin == ptx || !noFma || program->source.find("extern \"C\" __global__") == std::string::npos)
    {
        program->log = program->name + ": the fake NVRTC wants one known --gpu-architecture, --fmad=false and a kernel";
        return 6; // NVRTC_ERROR_COMPILATION
    }
    // A real compile for compute_XY has PTX and no CUBIN; for sm_XY, both.
    program->ptx = "fake-ptx:" + program->name;
    if (cubin)
        program->cubin = "fake-cubin:" + program->name;
    return 0;
}

int nvrtcGetProgramLogSize(Program* program, size_t* size) { *size = program->log.size() + 1; return 0; }
int nvrtcGetProgramLog(Program* program, char* log) { std::memcpy(log, program->log.c_str(), program->log.size() + 1); return 0; }
int nvrtcGetCUBINSize(Program* program, size_t* size) { *size = program->cubin.size() + 1; return program->cubin.empty() ? 4 : 0; }
int nvrtcGetCUBIN(Program* program, char* cubin) { std::memcpy(cubin, program->cubin.c_str(), program->cubin.size() + 1); return 0; }
int nvrtcGetPTXSize(Program* program, size_t* size) { *size = program->ptx.size() + 1; return program->ptx.empty() ? 4 : 0; }
int nvrtcGetPTX(Program* program, char* ptx) { std::memcpy(ptx, program->ptx.c_str(), program->ptx.size() + 1); return 0; }
int nvrtcGetNumSupportedArchs(int* count) { *count = 3; return 0; }
int nvrtcGetSupportedArchs(int* archs) { std::memcpy(archs, architectures, sizeof architectures); return 0; }
int nvrtcDestroyProgram(Program** program) { delete *program; *program = nullptr; return 0; }

const char* nvrtcGetErrorString(int result)
{
    switch (result)
    {
    case 0: return "NVRTC_SUCCESS";
    case 4: return "NVRTC_ERROR_INVALID_INPUT";
    case 6: return "NVRTC_ERROR_COMPILATION";
    default: return "NVRTC_ERROR";
    }
}
}
