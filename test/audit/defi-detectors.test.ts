/**
 * Modern DeFi detectors on the cases their fixtures do not show: what makes each one speak up or
 * stay quiet (where a value comes from, what a helper adds, who may call), and how bad it is.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/main/services/audit/analyze';

const found = (content: string, detector: string): [number, string][] =>
  analyzeSources([{ path: 'd.sol', content }])
    .findings.filter((f) => f.detector === detector)
    .map((f) => [f.line, f.severity]);

const TOKEN = `interface IT {
    function transfer(address to, uint256 v) external returns (bool);
    function transferFrom(address f, address to, uint256 v) external returns (bool);
    function balanceOf(address a) external view returns (uint256);
}`;

describe('ignored token results', () => {
  const src = (body: string): string => `pragma solidity ^0.8.0;
${TOKEN}
contract C {
    mapping(address => uint256) b;
    IT t;
    function f(uint256 v) external { ${body} }
}`;

  it('a dropped pull into the contract is medium, a dropped payout low, a used result nothing', () => {
    expect(found(src('t.transferFrom(msg.sender, address(this), v); b[msg.sender] += v;'), 'unchecked-token-result')).toEqual([[10, 'medium']]);
    expect(found(src('b[msg.sender] -= v; t.transfer(msg.sender, v);'), 'unchecked-token-result')).toEqual([[10, 'low']]);
    expect(found(src('b[msg.sender] -= v; require(t.transfer(msg.sender, v));'), 'unchecked-token-result')).toEqual([]);
  });

  it('a call declared to return nothing is not a dropped result', () => {
    const quiet = src('t.transfer(msg.sender, v);').replace('function transfer(address to, uint256 v) external returns (bool);', 'function transfer(address to, uint256 v) external;');
    expect(found(quiet, 'unchecked-token-result')).toEqual([]);
  });
});

describe('credited amount of a pull', () => {
  const src = (token: string, credit: string): string => `pragma solidity ^0.8.0;
${TOKEN}
contract V {
    IT fixedToken;
    mapping(address => uint256) b;
    function d(IT chosen, uint256 v) external {
        require(${token}.transferFrom(msg.sender, address(this), v));
        ${credit}
    }
}`;

  it('medium when the caller picks the token, low for the contract’s own token, nothing when the balance is measured', () => {
    expect(found(src('chosen', 'b[msg.sender] += v;'), 'fee-on-transfer')).toEqual([[11, 'medium']]);
    expect(found(src('fixedToken', 'b[msg.sender] += v;'), 'fee-on-transfer')).toEqual([[11, 'low']]);
    expect(found(src('chosen', 'b[msg.sender] += chosen.balanceOf(address(this));'), 'fee-on-transfer')).toEqual([]);
  });
});

describe('spot prices', () => {
  const src = (body: string): string => `pragma solidity ^0.8.0;
interface IP {
    function reserves() external view returns (uint112 a, uint112 b, uint32 at);
    function observe(uint32[] calldata ago) external view returns (int56[] memory ticks, uint160[] memory liq);
}
contract L {
    IP p;
    mapping(address => uint256) debt;
    function f(uint256 x, uint32[] calldata ago) external {
        ${body}
    }
}`;

  it('a ratio of reserves read together sets an amount; a time-weighted difference does not count', () => {
    expect(found(src('(uint112 a, uint112 b, ) = p.reserves(); debt[msg.sender] = x * a / b;'), 'spot-price')).toEqual([[10, 'medium']]);
    expect(found(src('(int56[] memory t, ) = p.observe(ago); debt[msg.sender] = x * uint56(t[1] - t[0]) / ago[0];'), 'spot-price')).toEqual([]);
    // The same arithmetic done by a helper is the same price.
    const lib = src('(uint112 a, uint112 b, ) = p.reserves(); debt[msg.sender] = M.muldiv(x, a, b);').replace('contract L {', 'library M { function muldiv(uint256 x, uint256 y, uint256 z) internal pure returns (uint256) { return x * y / z; } }\ncontract L {');
    expect(found(lib, 'spot-price')).toEqual([[11, 'medium']]);
    // One component scaled by the caller's own number is no ratio of the pool's state.
    expect(found(src('(uint112 a, , ) = p.reserves(); debt[msg.sender] = x * a / 1e18;'), 'spot-price')).toEqual([]);
  });
});

describe('swaps', () => {
  const src = (call: string, guard = ''): string => `pragma solidity ^0.8.0;
interface R {
    function sell(uint256 amountIn, uint256 least, address to, uint256 until) external returns (uint256 out);
}
contract S {
    R r;
    address keeper;
    function h(uint256 amt, uint256 least, uint256 until) external {
        ${guard}
        ${call}
    }
}`;

  it('minimum 0 is medium for anyone, low for a keeper; the block time as deadline is low; caller-chosen limits are quiet', () => {
    expect(found(src('r.sell(amt, 0, address(this), until);'), 'swap-without-slippage')).toEqual([[10, 'medium']]);
    expect(found(src('r.sell(amt, 0, address(this), until);', 'require(msg.sender == keeper);'), 'swap-without-slippage')).toEqual([[10, 'low']]);
    expect(found(src('r.sell(amt, least, address(this), block.timestamp);'), 'swap-without-deadline')).toEqual([[10, 'low']]);
    const quiet = src('r.sell(amt, least, address(this), until);');
    expect([...found(quiet, 'swap-without-slippage'), ...found(quiet, 'swap-without-deadline')]).toEqual([]);
  });
});

describe('arbitrary calls', () => {
  const src = (fn: string, extra = ''): string => `pragma solidity ^0.8.0;
contract X {
    address admin;
    ${fn}
    ${extra}
}`;
  const exec = 'function run(address t, bytes calldata d) external { (bool ok, ) = t.call(d); require(ok); }';

  it('low when the contract holds nothing, medium when it moves assets of its own; quiet once guarded or with a fixed selector', () => {
    expect(found(src(exec), 'arbitrary-call')).toEqual([[4, 'low']]);
    expect(found(src(exec, 'function pay(address payable to) external { require(msg.sender == admin); to.transfer(1); }'), 'arbitrary-call')).toEqual([[4, 'medium']]);
    expect(found(src(exec.replace('{ (bool', '{ require(msg.sender == admin); (bool')), 'arbitrary-call')).toEqual([]);
    expect(found(src(exec.replace('t.call(d)', 't.call(abi.encodeWithSelector(0x12345678, d))')), 'arbitrary-call')).toEqual([]);
  });
});

describe('signatures', () => {
  const LIB = `library Sig {
    function recover(bytes32 h, uint8 v, bytes32 r, bytes32 s) internal pure returns (address a) {
        a = ecrecover(h, v, r, s);
        require(a != address(0));
    }
}`;
  it('a helper that adds the domain, consumes a nonce and enforces a deadline covers the digest it is handed', () => {
    const src = `pragma solidity ^0.8.0;
${LIB}
contract P {
    mapping(address => uint256) next;
    mapping(address => uint256) allowed;
    function check(address who, bytes32 inner, uint256 until, uint8 v, bytes32 r, bytes32 s) internal {
        require(block.timestamp <= until);
        next[who]++;
        bytes32 h = keccak256(abi.encode(block.chainid, address(this), inner));
        require(Sig.recover(h, v, r, s) == who);
    }
    function permit(address who, uint256 amt, uint256 until, uint8 v, bytes32 r, bytes32 s) external {
        check(who, keccak256(abi.encode(who, amt, next[who], until)), until, v, r, s);
        allowed[who] = amt;
    }
}`;
    expect(found(src, 'signature-replay')).toEqual([]);
    expect(found(src, 'ecrecover-zero')).toEqual([]);
  });

  it('a digest without nonce is medium; one recorded as used only lacks the chain id and deadline', () => {
    const src = (extra: string): string => `pragma solidity ^0.8.0;
${LIB}
contract Q {
    address signer;
    mapping(bytes32 => bool) used;
    mapping(address => uint256) paid;
    function claim(uint256 amt, uint8 v, bytes32 r, bytes32 s) external {
        bytes32 h = keccak256(abi.encode(msg.sender, amt));
        require(Sig.recover(h, v, r, s) == signer);
        ${extra}
        paid[msg.sender] += amt;
    }
}`;
    expect(found(src(''), 'signature-replay')).toEqual([[14, 'medium']]);
    expect(found(src('require(!used[h]); used[h] = true;'), 'signature-replay')).toEqual([[14, 'low']]);
  });
});

describe('a domain separator built in the constructor', () => {
  const src = (id: string): string => `pragma solidity ^0.8.0;
contract M {
    bytes32 sep;
    mapping(address => uint256) nonces;
    mapping(address => mapping(address => uint256)) allowed;
    constructor() {
        uint256 id = ${id};
        sep = keccak256(abi.encode(id, address(this)));
    }
    function permit(address o, address s, uint256 v, uint256 dl, uint8 a, bytes32 b, bytes32 c) external {
        require(block.timestamp <= dl);
        bytes32 h = keccak256(abi.encodePacked(sep, keccak256(abi.encode(o, s, v, nonces[o]++, dl))));
        address r = ecrecover(h, a, b, c);
        require(r != address(0) && r == o);
        allowed[o][s] = v;
    }
}`;

  it('holds the chain id when a local of the constructor carried it there, not when the id is a constant', () => {
    expect(found(src('block.chainid'), 'signature-replay')).toEqual([]);
    expect(found(src('1'), 'signature-replay')).toEqual([[13, 'low']]);
  });
});

describe('upgrades and initialisers', () => {
  const BASE = `abstract contract U {
    bytes32 internal constant S = bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1);
    function up(address n) external { auth(n); assembly { sstore(S, n) } }
    function auth(address n) internal virtual;
}`;
  it('an abstract hook leaves the decision to the deriving contract; an admin branch is a guard', () => {
    expect(found(`pragma solidity ^0.8.0;\n${BASE}`, 'unprotected-upgrade')).toEqual([]);
    const admin = `pragma solidity ^0.8.0;
contract T {
    bytes32 internal constant S = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;
    address admin;
    fallback() external payable {
        if (msg.sender == admin) { address n = abi.decode(msg.data, (address)); assembly { sstore(S, n) } }
    }
}`;
    expect(found(admin, 'unprotected-upgrade')).toEqual([]);
    expect(found(admin.replace('if (msg.sender == admin) ', ''), 'unprotected-upgrade')).toEqual([[5, 'high']]);
  });

  it('an initialiser used up in the constructor is closed; an implementation upgradable only through a proxy is low', () => {
    const impl = (ctor: string, auth: string): string => `pragma solidity ^0.8.0;
${BASE}
contract I is U {
    address self = address(this);
    address boss;
    bool done;
    ${ctor}
    function init(address b) external { require(!done); done = true; boss = b; }
    function auth(address) internal view override { ${auth} }
}`;
    expect(found(impl('', 'require(msg.sender == boss);'), 'open-implementation-initializer')).toEqual([[12, 'medium']]);
    expect(found(impl('constructor() { done = true; }', 'require(msg.sender == boss);'), 'open-implementation-initializer')).toEqual([]);
    expect(found(impl('', 'require(address(this) != self && msg.sender == boss);'), 'open-implementation-initializer')).toEqual([[12, 'low']]);
  });

  it('a proxy whose implementation mirrors its first slots is deliberate; one with no implementation in sight is low', () => {
    const proxy = (impl: string): string => `pragma solidity ^0.8.0;
contract P {
    address target;
    fallback() external payable { (bool ok, ) = target.delegatecall(msg.data); require(ok); }
}
${impl}`;
    expect(found(proxy('contract M { address target; uint256 n; function f() external { n++; } }'), 'proxy-storage-collision')).toEqual([]);
    expect(found(proxy(''), 'proxy-storage-collision')).toEqual([[3, 'low']]);
    expect(found(proxy('contract M { uint256 n; function f() external { n++; } }'), 'proxy-storage-collision')).toEqual([[3, 'medium']]);
  });
});

describe('an implementation built on the installed OpenZeppelin upgrade code', () => {
  const root = path.resolve(__dirname, '..', '..', 'node_modules', '@openzeppelin', 'contracts');
  const deps = ['proxy/utils/UUPSUpgradeable.sol', 'proxy/utils/Initializable.sol', 'proxy/ERC1967/ERC1967Utils.sol', 'proxy/beacon/IBeacon.sol', 'interfaces/draft-IERC1822.sol', 'utils/Address.sol', 'utils/StorageSlot.sol', 'utils/Errors.sol'].map((f) => ({
    path: `@openzeppelin/contracts/${f}`,
    content: readFileSync(path.join(root, f), 'utf8'),
  }));
  const audit = (members: string): string[] =>
    analyzeSources([
      ...deps,
      {
        path: 'V.sol',
        content: `pragma solidity ^0.8.20;
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
contract V is Initializable, UUPSUpgradeable {
    address boss;
    function initialize() external initializer { boss = msg.sender; }
    function pay(address payable to) external { require(msg.sender == boss); to.transfer(1); }
    ${members}
}`,
      },
    ])
      .findings.filter((f) => f.severity !== 'info')
      .map((f) => `${f.file}:${f.line} ${f.severity} ${f.detector}`);

  it('an empty upgrade hook is high at the hook; the initializer modifier runs once; disabling it in the constructor closes it', () => {
    expect(audit('function _authorizeUpgrade(address) internal override {}')).toEqual(['V.sol:6 low open-implementation-initializer', 'V.sol:8 high unprotected-upgrade']);
    const guarded = 'function _authorizeUpgrade(address) internal view override { require(msg.sender == boss); }';
    expect(audit(guarded)).toEqual(['V.sol:6 low open-implementation-initializer']);
    expect(audit(`constructor() { _disableInitializers(); }\n    ${guarded}`)).toEqual([]);
  });
});
