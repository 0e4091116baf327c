// Compiled once beside the Verilator runtime: the output and fatal-error hooks, and the
// layout export.

#include "hooks.h"
#include "printf_hook.h"
#include "shim.h"

#include "verilated.h"

#include <cstdarg>
#include <cstdio>
#include <string>

thread_local std::string txoe_vl_output;

namespace {

// Output held beyond this is printed at once.
constexpr size_t kOutputMax = 64 * 1024;

// Remove the last line of txoe_vl_output that reports an error and return it (without
// its newline); empty if there is none.
std::string take_error_line() {
    std::string& out = txoe_vl_output;
    size_t end = out.size();
    while (end > 0) {
        const size_t nl = out.rfind('\n', end - 1);
        const size_t begin = nl == std::string::npos ? 0 : nl + 1;
        if (begin < end) {
            std::string line = out.substr(begin, end - begin);
            if (line.find("%Error") != std::string::npos ||
                line.find("%Fatal") != std::string::npos) {
                const size_t stop = end < out.size() ? end + 1 : end;
                out.erase(begin, stop - begin);
                while (!line.empty() && line.back() == '\r') line.pop_back();
                return line;
            }
        }
        if (nl == std::string::npos) break;
        end = nl;
    }
    return std::string();
}

}  // namespace

void txoe_vl_output_flush() {
    if (txoe_vl_output.empty()) return;
    std::fputs(txoe_vl_output.c_str(), stdout);
    std::fflush(stdout);
    txoe_vl_output.clear();
}

extern "C" int txoe_vl_printf(const char* format, ...) {
    va_list ap;
    va_start(ap, format);
    va_list ap2;
    va_copy(ap2, ap);
    const int n = std::vsnprintf(nullptr, 0, format, ap);
    va_end(ap);
    if (n <= 0) {
        va_end(ap2);
        return n;
    }
    std::string text(static_cast<size_t>(n) + 1, '\0');
    std::vsnprintf(&text[0], text.size(), format, ap2);
    va_end(ap2);
    text.resize(static_cast<size_t>(n));
    txoe_vl_output += text;
    if (txoe_vl_output.size() > kOutputMax) txoe_vl_output_flush();
    return n;
}

// The runtime is compiled with VL_USER_FATAL, so this replaces its vl_fatal, which prints
// and calls std::abort(): a failing RTL assertion would otherwise end the whole test
// process. Throwing lets the shim stop that one instance and report the message instead.
void vl_fatal(const char* filename, int linenum, const char* hier, const char* msg) {
    (void)hier;
    VerilatedContext* ctx = Verilated::threadContextp();
    ctx->gotError(true);
    ctx->gotFinish(true);
    std::string text;
    if (filename && filename[0]) {
        text = std::string(filename) + ":" + std::to_string(linenum) + ": ";
    }
    text += msg ? msg : "fatal error";
    // A failed assertion prints its message first, then stops: report that message, and
    // print whatever else came before it.
    const std::string printed = take_error_line();
    if (!printed.empty()) text = printed + " (" + text + ")";
    txoe_vl_output_flush();
    Verilated::runFlushCallbacks();
    throw TxoeVlFatal{text};
}

#define TXOE_PUT(v)                     \
    do {                                \
        if (i < n) out[i] = (uint64_t)(v); \
        ++i;                            \
    } while (0)
#define TXOE_IN(f) TXOE_PUT(offsetof(TxoeInputs, f))
#define TXOE_OUT(f) TXOE_PUT(offsetof(TxoeOutputs, f))
#define TXOE_EXP(f) TXOE_PUT(offsetof(TxoeExpected, f))

extern "C" size_t txoe_shim_layout(uint64_t* out, size_t n) {
    size_t i = 0;
    TXOE_PUT(sizeof(TxoeInputs));
    TXOE_IN(rst);
    TXOE_IN(s_axil_awvalid);
    TXOE_IN(s_axil_wvalid);
    TXOE_IN(s_axil_bready);
    TXOE_IN(s_axil_arvalid);
    TXOE_IN(s_axil_rready);
    TXOE_IN(s_axil_wstrb);
    TXOE_IN(s_axil_awaddr);
    TXOE_IN(s_axil_wdata);
    TXOE_IN(s_axil_araddr);
    TXOE_IN(m_axi_awready);
    TXOE_IN(m_axi_wready);
    TXOE_IN(m_axi_bvalid);
    TXOE_IN(m_axi_arready);
    TXOE_IN(m_axi_rvalid);
    TXOE_IN(m_axi_rlast);
    TXOE_IN(m_axi_bresp);
    TXOE_IN(m_axi_rresp);
    TXOE_IN(m_axi_rdata);
    TXOE_IN(m_axis_tx_tready);

    TXOE_PUT(sizeof(TxoeOutputs));
    TXOE_OUT(s_axil_awready);
    TXOE_OUT(s_axil_wready);
    TXOE_OUT(s_axil_bvalid);
    TXOE_OUT(s_axil_arready);
    TXOE_OUT(s_axil_rvalid);
    TXOE_OUT(s_axil_bresp);
    TXOE_OUT(s_axil_rresp);
    TXOE_OUT(s_axil_rdata);
    TXOE_OUT(m_axi_awvalid);
    TXOE_OUT(m_axi_wvalid);
    TXOE_OUT(m_axi_wlast);
    TXOE_OUT(m_axi_bready);
    TXOE_OUT(m_axi_awlen);
    TXOE_OUT(m_axi_awsize);
    TXOE_OUT(m_axi_awburst);
    TXOE_OUT(m_axi_awaddr);
    TXOE_OUT(m_axi_wstrb);
    TXOE_OUT(m_axi_wdata);
    TXOE_OUT(m_axi_arvalid);
    TXOE_OUT(m_axi_rready);
    TXOE_OUT(m_axi_arlen);
    TXOE_OUT(m_axi_arsize);
    TXOE_OUT(m_axi_arburst);
    TXOE_OUT(m_axi_araddr);
    TXOE_OUT(m_axis_tx_tvalid);
    TXOE_OUT(m_axis_tx_tlast);
    TXOE_OUT(m_axis_tx_tkeep);
    TXOE_OUT(m_axis_tx_tdata);
    TXOE_OUT(irq);

    TXOE_PUT(sizeof(TxoeExpected));
    TXOE_EXP(out);
    TXOE_EXP(tx_state);
    TXOE_EXP(wr_state);
    TXOE_EXP(cplq_count);
    TXOE_EXP(ipv4_id);
    TXOE_EXP(ipv6_id);
    return i;
}
