using System.Diagnostics;
using System.Runtime.InteropServices;
using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Tests.Rdma;

/// <summary>
/// The C# mirrors of the verbs structs against the installed C header: a small C program compiled with gcc
/// against libibverbs-dev prints sizeof/offsetof of every struct and field the bindings use, and each must
/// equal the C# layout. Inconclusive where gcc or the header is missing (test.sh installs both).
/// </summary>
[TestClass]
public sealed class VerbsLayoutTests
{
    private static long Offset<T>(string field) => Marshal.OffsetOf<T>(field).ToInt64();

    /// <summary>Each C expression and what the C# layout says it is.</summary>
    private static readonly (string C, long CSharp)[] Layout =
    [
        ("offsetof(struct ibv_context, device)", Offset<IbvContext>(nameof(IbvContext.Device))),
        ("offsetof(struct ibv_context, ops)", Offset<IbvContext>(nameof(IbvContext.Ops))),
        ("sizeof(struct ibv_context_ops)", Marshal.SizeOf<IbvContextOps>()),
        ("offsetof(struct ibv_context_ops, poll_cq)", Offset<IbvContextOps>(nameof(IbvContextOps.PollCq))),
        ("offsetof(struct ibv_context_ops, post_send)", Offset<IbvContextOps>(nameof(IbvContextOps.PostSend))),
        ("offsetof(struct ibv_context_ops, post_recv)", Offset<IbvContextOps>(nameof(IbvContextOps.PostRecv))),
        ("sizeof(struct ibv_pd)", Marshal.SizeOf<IbvPd>()),
        ("offsetof(struct ibv_pd, context)", Offset<IbvPd>(nameof(IbvPd.Context))),
        ("offsetof(struct ibv_pd, handle)", Offset<IbvPd>(nameof(IbvPd.Handle))),
        ("sizeof(struct ibv_mr)", Marshal.SizeOf<IbvMr>()),
        ("offsetof(struct ibv_mr, context)", Offset<IbvMr>(nameof(IbvMr.Context))),
        ("offsetof(struct ibv_mr, pd)", Offset<IbvMr>(nameof(IbvMr.Pd))),
        ("offsetof(struct ibv_mr, addr)", Offset<IbvMr>(nameof(IbvMr.Addr))),
        ("offsetof(struct ibv_mr, length)", Offset<IbvMr>(nameof(IbvMr.Length))),
        ("offsetof(struct ibv_mr, handle)", Offset<IbvMr>(nameof(IbvMr.Handle))),
        ("offsetof(struct ibv_mr, lkey)", Offset<IbvMr>(nameof(IbvMr.Lkey))),
        ("offsetof(struct ibv_mr, rkey)", Offset<IbvMr>(nameof(IbvMr.Rkey))),
        ("offsetof(struct ibv_cq, context)", Offset<IbvCq>(nameof(IbvCq.Context))),
        ("offsetof(struct ibv_cq, channel)", Offset<IbvCq>(nameof(IbvCq.Channel))),
        ("offsetof(struct ibv_cq, cq_context)", Offset<IbvCq>(nameof(IbvCq.CqContext))),
        ("offsetof(struct ibv_cq, handle)", Offset<IbvCq>(nameof(IbvCq.Handle))),
        ("offsetof(struct ibv_cq, cqe)", Offset<IbvCq>(nameof(IbvCq.Cqe))),
        ("offsetof(struct ibv_qp, context)", Offset<IbvQp>(nameof(IbvQp.Context))),
        ("offsetof(struct ibv_qp, qp_context)", Offset<IbvQp>(nameof(IbvQp.QpContext))),
        ("offsetof(struct ibv_qp, pd)", Offset<IbvQp>(nameof(IbvQp.Pd))),
        ("offsetof(struct ibv_qp, send_cq)", Offset<IbvQp>(nameof(IbvQp.SendCq))),
        ("offsetof(struct ibv_qp, recv_cq)", Offset<IbvQp>(nameof(IbvQp.RecvCq))),
        ("offsetof(struct ibv_qp, srq)", Offset<IbvQp>(nameof(IbvQp.Srq))),
        ("offsetof(struct ibv_qp, handle)", Offset<IbvQp>(nameof(IbvQp.Handle))),
        ("offsetof(struct ibv_qp, qp_num)", Offset<IbvQp>(nameof(IbvQp.QpNum))),
        ("offsetof(struct ibv_qp, state)", Offset<IbvQp>(nameof(IbvQp.State))),
        ("offsetof(struct ibv_qp, qp_type)", Offset<IbvQp>(nameof(IbvQp.QpType))),
        ("sizeof(struct ibv_sge)", Marshal.SizeOf<IbvSge>()),
        ("offsetof(struct ibv_sge, addr)", Offset<IbvSge>(nameof(IbvSge.Addr))),
        ("offsetof(struct ibv_sge, length)", Offset<IbvSge>(nameof(IbvSge.Length))),
        ("offsetof(struct ibv_sge, lkey)", Offset<IbvSge>(nameof(IbvSge.Lkey))),
        ("sizeof(struct ibv_send_wr)", Marshal.SizeOf<IbvSendWr>()),
        ("offsetof(struct ibv_send_wr, wr_id)", Offset<IbvSendWr>(nameof(IbvSendWr.WrId))),
        ("offsetof(struct ibv_send_wr, next)", Offset<IbvSendWr>(nameof(IbvSendWr.Next))),
        ("offsetof(struct ibv_send_wr, sg_list)", Offset<IbvSendWr>(nameof(IbvSendWr.SgList))),
        ("offsetof(struct ibv_send_wr, num_sge)", Offset<IbvSendWr>(nameof(IbvSendWr.NumSge))),
        ("offsetof(struct ibv_send_wr, opcode)", Offset<IbvSendWr>(nameof(IbvSendWr.Opcode))),
        ("offsetof(struct ibv_send_wr, send_flags)", Offset<IbvSendWr>(nameof(IbvSendWr.SendFlags))),
        ("offsetof(struct ibv_send_wr, imm_data)", Offset<IbvSendWr>(nameof(IbvSendWr.ImmData))),
        ("offsetof(struct ibv_send_wr, wr.rdma.remote_addr)", Offset<IbvSendWr>(nameof(IbvSendWr.RemoteAddr))),
        ("offsetof(struct ibv_send_wr, wr.rdma.rkey)", Offset<IbvSendWr>(nameof(IbvSendWr.Rkey))),
        ("sizeof(struct ibv_recv_wr)", Marshal.SizeOf<IbvRecvWr>()),
        ("offsetof(struct ibv_recv_wr, wr_id)", Offset<IbvRecvWr>(nameof(IbvRecvWr.WrId))),
        ("offsetof(struct ibv_recv_wr, next)", Offset<IbvRecvWr>(nameof(IbvRecvWr.Next))),
        ("offsetof(struct ibv_recv_wr, sg_list)", Offset<IbvRecvWr>(nameof(IbvRecvWr.SgList))),
        ("offsetof(struct ibv_recv_wr, num_sge)", Offset<IbvRecvWr>(nameof(IbvRecvWr.NumSge))),
        ("sizeof(struct ibv_wc)", Marshal.SizeOf<IbvWc>()),
        ("offsetof(struct ibv_wc, wr_id)", Offset<IbvWc>(nameof(IbvWc.WrId))),
        ("offsetof(struct ibv_wc, status)", Offset<IbvWc>(nameof(IbvWc.Status))),
        ("offsetof(struct ibv_wc, opcode)", Offset<IbvWc>(nameof(IbvWc.Opcode))),
        ("offsetof(struct ibv_wc, vendor_err)", Offset<IbvWc>(nameof(IbvWc.VendorErr))),
        ("offsetof(struct ibv_wc, byte_len)", Offset<IbvWc>(nameof(IbvWc.ByteLen))),
        ("offsetof(struct ibv_wc, imm_data)", Offset<IbvWc>(nameof(IbvWc.ImmData))),
        ("offsetof(struct ibv_wc, qp_num)", Offset<IbvWc>(nameof(IbvWc.QpNum))),
        ("offsetof(struct ibv_wc, src_qp)", Offset<IbvWc>(nameof(IbvWc.SrcQp))),
        ("offsetof(struct ibv_wc, wc_flags)", Offset<IbvWc>(nameof(IbvWc.WcFlags))),
        ("offsetof(struct ibv_wc, pkey_index)", Offset<IbvWc>(nameof(IbvWc.PkeyIndex))),
        ("offsetof(struct ibv_wc, slid)", Offset<IbvWc>(nameof(IbvWc.Slid))),
        ("offsetof(struct ibv_wc, sl)", Offset<IbvWc>(nameof(IbvWc.Sl))),
        ("offsetof(struct ibv_wc, dlid_path_bits)", Offset<IbvWc>(nameof(IbvWc.DlidPathBits))),
        ("sizeof(union ibv_gid)", Marshal.SizeOf<IbvGid>()),
        ("offsetof(union ibv_gid, global.subnet_prefix)", Offset<IbvGid>(nameof(IbvGid.SubnetPrefix))),
        ("offsetof(union ibv_gid, global.interface_id)", Offset<IbvGid>(nameof(IbvGid.InterfaceId))),
        ("sizeof(struct ibv_global_route)", Marshal.SizeOf<IbvGlobalRoute>()),
        ("offsetof(struct ibv_global_route, dgid)", Offset<IbvGlobalRoute>(nameof(IbvGlobalRoute.Dgid))),
        ("offsetof(struct ibv_global_route, flow_label)", Offset<IbvGlobalRoute>(nameof(IbvGlobalRoute.FlowLabel))),
        ("offsetof(struct ibv_global_route, sgid_index)", Offset<IbvGlobalRoute>(nameof(IbvGlobalRoute.SgidIndex))),
        ("offsetof(struct ibv_global_route, hop_limit)", Offset<IbvGlobalRoute>(nameof(IbvGlobalRoute.HopLimit))),
        ("offsetof(struct ibv_global_route, traffic_class)", Offset<IbvGlobalRoute>(nameof(IbvGlobalRoute.TrafficClass))),
        ("sizeof(struct ibv_ah_attr)", Marshal.SizeOf<IbvAhAttr>()),
        ("offsetof(struct ibv_ah_attr, grh)", Offset<IbvAhAttr>(nameof(IbvAhAttr.Grh))),
        ("offsetof(struct ibv_ah_attr, dlid)", Offset<IbvAhAttr>(nameof(IbvAhAttr.Dlid))),
        ("offsetof(struct ibv_ah_attr, sl)", Offset<IbvAhAttr>(nameof(IbvAhAttr.Sl))),
        ("offsetof(struct ibv_ah_attr, src_path_bits)", Offset<IbvAhAttr>(nameof(IbvAhAttr.SrcPathBits))),
        ("offsetof(struct ibv_ah_attr, static_rate)", Offset<IbvAhAttr>(nameof(IbvAhAttr.StaticRate))),
        ("offsetof(struct ibv_ah_attr, is_global)", Offset<IbvAhAttr>(nameof(IbvAhAttr.IsGlobal))),
        ("offsetof(struct ibv_ah_attr, port_num)", Offset<IbvAhAttr>(nameof(IbvAhAttr.PortNum))),
        ("sizeof(struct ibv_qp_cap)", Marshal.SizeOf<IbvQpCap>()),
        ("offsetof(struct ibv_qp_cap, max_send_wr)", Offset<IbvQpCap>(nameof(IbvQpCap.MaxSendWr))),
        ("offsetof(struct ibv_qp_cap, max_recv_wr)", Offset<IbvQpCap>(nameof(IbvQpCap.MaxRecvWr))),
        ("offsetof(struct ibv_qp_cap, max_send_sge)", Offset<IbvQpCap>(nameof(IbvQpCap.MaxSendSge))),
        ("offsetof(struct ibv_qp_cap, max_recv_sge)", Offset<IbvQpCap>(nameof(IbvQpCap.MaxRecvSge))),
        ("offsetof(struct ibv_qp_cap, max_inline_data)", Offset<IbvQpCap>(nameof(IbvQpCap.MaxInlineData))),
        ("sizeof(struct ibv_qp_init_attr)", Marshal.SizeOf<IbvQpInitAttr>()),
        ("offsetof(struct ibv_qp_init_attr, qp_context)", Offset<IbvQpInitAttr>(nameof(IbvQpInitAttr.QpContext))),
        ("offsetof(struct ibv_qp_init_attr, send_cq)", Offset<IbvQpInitAttr>(nameof(IbvQpInitAttr.SendCq))),
        ("offsetof(struct ibv_qp_init_attr, recv_cq)", Offset<IbvQpInitAttr>(nameof(IbvQpInitAttr.RecvCq))),
        ("offsetof(struct ibv_qp_init_attr, srq)", Offset<IbvQpInitAttr>(nameof(IbvQpInitAttr.Srq))),
        ("offsetof(struct ibv_qp_init_attr, cap)", Offset<IbvQpInitAttr>(nameof(IbvQpInitAttr.Cap))),
        ("offsetof(struct ibv_qp_init_attr, qp_type)", Offset<IbvQpInitAttr>(nameof(IbvQpInitAttr.QpType))),
        ("offsetof(struct ibv_qp_init_attr, sq_sig_all)", Offset<IbvQpInitAttr>(nameof(IbvQpInitAttr.SqSigAll))),
        ("sizeof(struct ibv_qp_attr)", Marshal.SizeOf<IbvQpAttr>()),
        ("offsetof(struct ibv_qp_attr, qp_state)", Offset<IbvQpAttr>(nameof(IbvQpAttr.QpState))),
        ("offsetof(struct ibv_qp_attr, cur_qp_state)", Offset<IbvQpAttr>(nameof(IbvQpAttr.CurQpState))),
        ("offsetof(struct ibv_qp_attr, path_mtu)", Offset<IbvQpAttr>(nameof(IbvQpAttr.PathMtu))),
        ("offsetof(struct ibv_qp_attr, path_mig_state)", Offset<IbvQpAttr>(nameof(IbvQpAttr.PathMigState))),
        ("offsetof(struct ibv_qp_attr, qkey)", Offset<IbvQpAttr>(nameof(IbvQpAttr.Qkey))),
        ("offsetof(struct ibv_qp_attr, rq_psn)", Offset<IbvQpAttr>(nameof(IbvQpAttr.RqPsn))),
        ("offsetof(struct ibv_qp_attr, sq_psn)", Offset<IbvQpAttr>(nameof(IbvQpAttr.SqPsn))),
        ("offsetof(struct ibv_qp_attr, dest_qp_num)", Offset<IbvQpAttr>(nameof(IbvQpAttr.DestQpNum))),
        ("offsetof(struct ibv_qp_attr, qp_access_flags)", Offset<IbvQpAttr>(nameof(IbvQpAttr.QpAccessFlags))),
        ("offsetof(struct ibv_qp_attr, cap)", Offset<IbvQpAttr>(nameof(IbvQpAttr.Cap))),
        ("offsetof(struct ibv_qp_attr, ah_attr)", Offset<IbvQpAttr>(nameof(IbvQpAttr.AhAttr))),
        ("offsetof(struct ibv_qp_attr, alt_ah_attr)", Offset<IbvQpAttr>(nameof(IbvQpAttr.AltAhAttr))),
        ("offsetof(struct ibv_qp_attr, pkey_index)", Offset<IbvQpAttr>(nameof(IbvQpAttr.PkeyIndex))),
        ("offsetof(struct ibv_qp_attr, alt_pkey_index)", Offset<IbvQpAttr>(nameof(IbvQpAttr.AltPkeyIndex))),
        ("offsetof(struct ibv_qp_attr, en_sqd_async_notify)", Offset<IbvQpAttr>(nameof(IbvQpAttr.EnSqdAsyncNotify))),
        ("offsetof(struct ibv_qp_attr, sq_draining)", Offset<IbvQpAttr>(nameof(IbvQpAttr.SqDraining))),
        ("offsetof(struct ibv_qp_attr, max_rd_atomic)", Offset<IbvQpAttr>(nameof(IbvQpAttr.MaxRdAtomic))),
        ("offsetof(struct ibv_qp_attr, max_dest_rd_atomic)", Offset<IbvQpAttr>(nameof(IbvQpAttr.MaxDestRdAtomic))),
        ("offsetof(struct ibv_qp_attr, min_rnr_timer)", Offset<IbvQpAttr>(nameof(IbvQpAttr.MinRnrTimer))),
        ("offsetof(struct ibv_qp_attr, port_num)", Offset<IbvQpAttr>(nameof(IbvQpAttr.PortNum))),
        ("offsetof(struct ibv_qp_attr, timeout)", Offset<IbvQpAttr>(nameof(IbvQpAttr.Timeout))),
        ("offsetof(struct ibv_qp_attr, retry_cnt)", Offset<IbvQpAttr>(nameof(IbvQpAttr.RetryCnt))),
        ("offsetof(struct ibv_qp_attr, rnr_retry)", Offset<IbvQpAttr>(nameof(IbvQpAttr.RnrRetry))),
        ("offsetof(struct ibv_qp_attr, alt_port_num)", Offset<IbvQpAttr>(nameof(IbvQpAttr.AltPortNum))),
        ("offsetof(struct ibv_qp_attr, alt_timeout)", Offset<IbvQpAttr>(nameof(IbvQpAttr.AltTimeout))),
        ("offsetof(struct ibv_qp_attr, rate_limit)", Offset<IbvQpAttr>(nameof(IbvQpAttr.RateLimit))),
        ("sizeof(struct ibv_port_attr)", Marshal.SizeOf<IbvPortAttr>()),
        ("offsetof(struct ibv_port_attr, state)", Offset<IbvPortAttr>(nameof(IbvPortAttr.State))),
        ("offsetof(struct ibv_port_attr, active_mtu)", Offset<IbvPortAttr>(nameof(IbvPortAttr.ActiveMtu))),
        ("offsetof(struct ibv_port_attr, gid_tbl_len)", Offset<IbvPortAttr>(nameof(IbvPortAttr.GidTblLen))),
        ("offsetof(struct ibv_port_attr, pkey_tbl_len)", Offset<IbvPortAttr>(nameof(IbvPortAttr.PkeyTblLen))),
        ("offsetof(struct ibv_port_attr, lid)", Offset<IbvPortAttr>(nameof(IbvPortAttr.Lid))),
        ("offsetof(struct ibv_port_attr, sm_lid)", Offset<IbvPortAttr>(nameof(IbvPortAttr.SmLid))),
        ("offsetof(struct ibv_port_attr, phys_state)", Offset<IbvPortAttr>(nameof(IbvPortAttr.PhysState))),
        ("offsetof(struct ibv_port_attr, link_layer)", Offset<IbvPortAttr>(nameof(IbvPortAttr.LinkLayer))),
        ("offsetof(struct ibv_port_attr, flags)", Offset<IbvPortAttr>(nameof(IbvPortAttr.Flags))),
        ("offsetof(struct ibv_port_attr, port_cap_flags2)", Offset<IbvPortAttr>(nameof(IbvPortAttr.PortCapFlags2))),
        // Enum values the bindings pass to the library.
        ("IBV_QPS_RTS", (long)IbvQpState.ReadyToSend),
        ("IBV_QPS_ERR", (long)IbvQpState.Error),
        ("IBV_QPT_RC", (long)IbvQpType.ReliableConnected),
        ("IBV_QP_AV", (long)IbvQpAttrMask.AddressVector),
        ("IBV_QP_DEST_QPN", (long)IbvQpAttrMask.DestQpNum),
        ("IBV_QP_MAX_DEST_RD_ATOMIC", (long)IbvQpAttrMask.MaxDestReadAtomic),
        ("IBV_ACCESS_REMOTE_WRITE", (long)IbvAccessFlags.RemoteWrite),
        ("IBV_WR_RDMA_WRITE_WITH_IMM", (long)IbvWrOpcode.RdmaWriteWithImm),
        ("IBV_WR_SEND_WITH_IMM", (long)IbvWrOpcode.SendWithImm),
        ("IBV_SEND_SIGNALED", (long)IbvSendFlags.Signaled),
        ("IBV_WC_RETRY_EXC_ERR", (long)IbvWcStatus.RetryExceeded),
        ("IBV_WC_RNR_RETRY_EXC_ERR", (long)IbvWcStatus.ReceiverNotReadyRetryExceeded),
        ("IBV_WC_REM_ACCESS_ERR", (long)IbvWcStatus.RemoteAccessError),
        ("IBV_WC_WR_FLUSH_ERR", (long)IbvWcStatus.WorkRequestFlushed),
        ("IBV_WC_RECV_RDMA_WITH_IMM", (long)IbvWcOpcode.ReceiveRdmaWithImm),
        ("IBV_WC_WITH_IMM", (long)IbvWcFlags.WithImm),
        ("IBV_LINK_LAYER_ETHERNET", (long)IbvLinkLayer.Ethernet),
        ("IBV_PORT_ACTIVE", (long)IbvPortState.Active),
        ("IBV_MTU_4096", (long)IbvMtu.Mtu4096),
    ];

    [TestMethod]
    public void StructLayoutsAndConstantsMatchTheVerbsHeader()
    {
        var directory = Directory.CreateTempSubdirectory("gear-verbs-layout-");
        try
        {
            var source = Path.Combine(directory.FullName, "layout.c");
            var program = Path.Combine(directory.FullName, "layout");
            File.WriteAllText(source, CProgram());
            var (compiled, compileOutput) = Run("gcc", $"-o \"{program}\" \"{source}\"");
            if (compiled is null)
                Assert.Inconclusive("gcc is not installed (test.sh installs it)");
            if (compiled != 0)
            {
                if (compileOutput.Contains("infiniband/verbs.h"))
                    Assert.Inconclusive("infiniband/verbs.h is missing (test.sh installs libibverbs-dev)");
                Assert.Fail($"the layout program did not compile:\n{compileOutput}");
            }
            var (exit, output) = Run(program, "");
            Assert.AreEqual(0, exit, output);
            var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.AreEqual(Layout.Length, values.Length, output);
            var mismatches = new List<string>();
            for (var i = 0; i < Layout.Length; i++)
            {
                var c = long.Parse(values[i].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                if (c != Layout[i].CSharp)
                    mismatches.Add($"{Layout[i].C}: C says {c}, C# says {Layout[i].CSharp}");
            }
            Assert.AreEqual(0, mismatches.Count, string.Join("\n", mismatches));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string CProgram()
    {
        var lines = new System.Text.StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include <infiniband/verbs.h>\nint main(void) {\n");
        foreach (var (c, _) in Layout)
            lines.Append("  printf(\"%lld\\n\", (long long)(").Append(c).Append("));\n");
        return lines.Append("  return 0;\n}\n").ToString();
    }

    /// <summary>Runs a program; a null exit code when it is not installed.</summary>
    private static (int? Exit, string Output) Run(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, "");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr);
        }
    }
}
