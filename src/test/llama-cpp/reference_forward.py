"""PyTorch reference forward (Hugging Face Llama/Qwen2/Qwen3 semantics: rotate-half RoPE, llama3
frequency scaling, GQA, RMSNorm, SwiGLU) over the tiny checkpoints LlamaCppCheckExport writes;
stores next-token probabilities after the prompt [1, 2, 3, 4] in DIR/probs.json.
Usage: /usr/bin/python3 reference_forward.py DIR"""
import sys, json, math, numpy as np, torch
ROOT = sys.argv[1] if len(sys.argv) > 1 else "target/llama-cpp-check"
def load(d):
    W={}
    for line in open(d+"/index.txt"):
        n,r,c=line.split(); r=int(r); c=int(c)
        a=np.fromfile(d+"/"+n+".bin", dtype="<f4").reshape(r,c)
        W[n]=torch.tensor(a.copy())
    return W
cfgs={ # hidden, heads, kv, headDim, layers, theta, rope, qkNorm, bias, tied
 "llama": dict(h=64,nh=4,nkv=2,hd=16,L=2,theta=10000.0,llama3=False,qk=False,bias=False),
 "qwen2": dict(h=64,nh=4,nkv=2,hd=16,L=2,theta=10000.0,llama3=False,qk=False,bias=True),
 "qwen3": dict(h=64,nh=4,nkv=2,hd=32,L=2,theta=10000.0,llama3=False,qk=True,bias=False),
 "llama3": dict(h=64,nh=4,nkv=2,hd=16,L=2,theta=500000.0,llama3=True,qk=False,bias=False),
}
def rms(x,w,eps=1e-6):
    x64=x
    return x64*torch.rsqrt(x64.pow(2).mean(-1,keepdim=True)+eps)*w.reshape(-1)
def rot(x):
    d=x.shape[-1]//2
    return torch.cat([-x[...,d:], x[...,:d]],-1)
def forward(name, ids):
    c=cfgs[name]; W=load(ROOT+"/"+name); T=len(ids)
    x=W["model.embed_tokens.weight"][ids]
    hd=c["hd"]
    inv=1.0/(c["theta"]**(torch.arange(0,hd,2,dtype=torch.float64)/hd))
    if c["llama3"]:
        f=[]
        for fr in inv.tolist():
            wl=2*math.pi/fr
            if wl<8192/4: f.append(fr)
            elif wl>8192/1: f.append(fr/32)
            else:
                s=(8192/wl-1)/(4-1); f.append((1-s)*fr/32+s*fr)
        inv=torch.tensor(f,dtype=torch.float64)
    pos=torch.arange(T,dtype=torch.float64)
    ang=torch.outer(pos,inv); emb=torch.cat([ang,ang],-1)
    cos=emb.cos().float(); sin=emb.sin().float()
    for l in range(c["L"]):
        p=f"model.layers.{l}."
        h=rms(x,W[p+"input_layernorm.weight"])
        q=h@W[p+"self_attn.q_proj.weight"].T; k=h@W[p+"self_attn.k_proj.weight"].T; v=h@W[p+"self_attn.v_proj.weight"].T
        if c["bias"]:
            q=q+W[p+"self_attn.q_proj.bias"].reshape(-1); k=k+W[p+"self_attn.k_proj.bias"].reshape(-1); v=v+W[p+"self_attn.v_proj.bias"].reshape(-1)
        q=q.view(T,c["nh"],hd).transpose(0,1); k=k.view(T,c["nkv"],hd).transpose(0,1); v=v.view(T,c["nkv"],hd).transpose(0,1)
        if c["qk"]:
            q=rms(q,W[p+"self_attn.q_norm.weight"]); k=rms(k,W[p+"self_attn.k_norm.weight"])
        q=q*cos+rot(q)*sin; k=k*cos+rot(k)*sin
        rep=c["nh"]//c["nkv"]; k=k.repeat_interleave(rep,0); v=v.repeat_interleave(rep,0)
        s=(q@k.transpose(1,2))/math.sqrt(hd)
        s=s+torch.triu(torch.full((T,T),float("-inf")),1)
        a=torch.softmax(s,-1)@v
        a=a.transpose(0,1).reshape(T,-1)
        x=x+a@W[p+"self_attn.o_proj.weight"].T
        h=rms(x,W[p+"post_attention_layernorm.weight"])
        g=h@W[p+"mlp.gate_proj.weight"].T; u=h@W[p+"mlp.up_proj.weight"].T
        x=x+(torch.nn.functional.silu(g)*u)@W[p+"mlp.down_proj.weight"].T
    x=rms(x,W["model.norm.weight"])
    head=W.get("lm_head.weight", W["model.embed_tokens.weight"])
    logits=x[-1]@head.T
    return torch.softmax(logits.double(),-1).tolist()
out={n: forward(n,[1,2,3,4]) for n in cfgs}
out["llama-nopermute"]=out["llama"]
json.dump(out, open(ROOT+"/probs.json","w"))
print({n: int(np.argmax(p)) for n,p in out.items()})
