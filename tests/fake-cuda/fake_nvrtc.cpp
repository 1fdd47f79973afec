// A stand-in for NVRTC (libnvrtc.so.13) for testing the CUDA backend's bindings without the CUDA toolkit: it
// checks the options the backend must pass (a real architecture, no FMA contraction) and that the source is a
// kernel file, and "compiles" to a blob that fake_cuda.cpp's cuModuleLoadData accepts. The kernels themselves
// run from the host emulation compiled into the fake driver. Signatures follow the NVRTC API reference.
#include <cstdlib>
#include <cstring>
#include <string>

namespace
{
struct Program
{
    std::string source, name, log, cubin;
};
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
    bool architecture = false, noFma = false;
    for (int i = 0; i < count; i++)
    {
        architecture |= std::strncmp(options[i], "--gpu-architecture=sm_", 22) == 0;
        noFma |= std::strcmp(options[i], "--fmad=false") == 0;
    }
    if (!architecture || !noFma || program->source.find("extern \"C\" __global__") == std::string::npos)
    {
        program->log = program->name + ": the fake NVRTC wants --gpu-architecture=sm_XY, --fmad=false and a kernel";
        return 6; // NVRTC_ERROR_COMPILATION
    }
    program->cubin = "fake-cubin:" + program->name;
    return 0;
}

int nvrtcGetProgramLogSize(Program* program, size_t* size) { *size = program->log.size() + 1; return 0; }
int nvrtcGetProgramLog(Program* program, char* log) { std::memcpy(log, program->log.c_str(), program->log.size() + 1); return 0; }
int nvrtcGetCUBINSize(Program* program, size_t* size) { *size = program->cubin.size() + 1; return program->cubin.empty() ? 4 : 0; }
int nvrtcGetCUBIN(Program* program, char* cubin) { std::memcpy(cubin, program->cubin.c_str(), program->cubin.size() + 1); return 0; }
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
