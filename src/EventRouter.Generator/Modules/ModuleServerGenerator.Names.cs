using System.Collections.Generic;
using System.Linq;
using EventRouter.Generator.Modules.Models;
using EventRouter.Generator.Shared;

namespace EventRouter.Generator.Modules;

public sealed partial class ModuleServerGenerator
{
    /// <summary>
    /// The names of a module client's generated members, after the types they serve (see <see cref="MemberNames"/>):
    /// <c>_timingFilter</c>/<c>Timing_Filter</c>, <c>_placeOrderRequestChain</c>/<c>PlaceOrder_RequestChain</c>,
    /// <c>_cancelCommandChain</c>/<c>Cancel_CommandChain</c>, <c>_watchStreamChain</c>/<c>Watch_StreamChain</c>. A type
    /// handled in two roles (a request or stream request and a command) has one stem.
    /// </summary>
    internal sealed class Names
    {
        private readonly string[] _filters;
        private readonly Dictionary<string, string> _messages;

        public Names(ModuleModel model)
        {
            var filters = MemberNames.Stems(model.Filters.Select(static f => f.FullName), "Filter");
            _filters = model.Filters.Select(f => filters[f.FullName]).ToArray();
            _messages = MemberNames.Stems(model.Requests.Select(static r => r.RequestType)
                .Concat(model.Commands.Select(static c => c.CommandType))
                .Concat(model.Streams.Select(static s => s.RequestType)));
        }

        public string FilterField(int filter) => MemberNames.Field(_filters[filter], "Filter");

        public string FilterProperty(int filter) => _filters[filter] + "_Filter";

        public string RequestChain(ModuleRequestModel request) => _messages[request.RequestType] + "_RequestChain";

        public string RequestChainField(ModuleRequestModel request) => MemberNames.Field(_messages[request.RequestType], "RequestChain");

        public string StreamChain(ModuleStreamModel stream) => _messages[stream.RequestType] + "_StreamChain";

        public string StreamChainField(ModuleStreamModel stream) => MemberNames.Field(_messages[stream.RequestType], "StreamChain");

        public string CommandChain(ModuleCommandModel command) => _messages[command.CommandType] + "_CommandChain";

        public string CommandChainField(ModuleCommandModel command) => MemberNames.Field(_messages[command.CommandType], "CommandChain");
    }
}
