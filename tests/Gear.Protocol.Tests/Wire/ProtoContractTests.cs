using Gear.Protocol.V1;
using Google.Protobuf;

namespace Gear.Protocol.Tests.Wire;

[TestClass]
public sealed class ProtoContractTests
{
    [TestMethod]
    public void InsertRequestRoundTripsColumnBytesAndCommand()
    {
        var request = new InsertRequest
        {
            Append = new AppendSteps { Trajectory = 7, Table = "replay", StepCount = 2 },
        };
        request.Append.Columns.Add(ByteString.CopyFrom(1, 2, 3, 4));

        var parsed = InsertRequest.Parser.ParseFrom(request.ToByteArray());

        Assert.AreEqual(InsertRequest.CommandOneofCase.Append, parsed.CommandCase);
        Assert.AreEqual("replay", parsed.Append.Table);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 4 }, parsed.Append.Columns[0].ToByteArray());
    }
}
